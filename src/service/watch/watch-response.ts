import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { ChangeEvent, StoredKv } from "../../fsm/kv-types.ts";
import { EventSchema, EventType, type KeyValue, type ResponseHeader, type WatchResponse, WatchResponseSchema } from "../../gen/raftkv/v1/kv_pb.ts";
import { eventBytes } from "./watch-item.ts";

/** Events per message are cut at about this many key/value bytes (one event at least), below common 4 MiB client limits. */
const maxMessageBytes = 1024 * 1024;

/** Builds WatchResponse messages; the header and KeyValue conversions are the KV service's own. */
export class WatchResponses {
  constructor(
    private readonly header: (index: number) => ResponseHeader,
    private readonly keyValue: (kv: StoredKv) => KeyValue,
  ) {}

  created(watchId: string, startIndex: number, appliedIndex: number): WatchResponse {
    return this.#response(appliedIndex, { case: "created", value: { watchId, startIndex: BigInt(startIndex) } });
  }

  /** One message per ~1 MiB of events, in order. `previous` fills prev_kv when the watch asked for it. */
  events(index: number, events: readonly ChangeEvent[], previous: ((event: ChangeEvent) => StoredKv | undefined) | undefined): WatchResponse[] {
    const messages: WatchResponse[] = [];
    let chunk: ChangeEvent[] = [];
    let bytes = 0;
    const flush = (): void => {
      if (chunk.length === 0) return;
      const converted = chunk.map((event) => {
        const prev = previous?.(event);
        return create(EventSchema, {
          type: event.type === "put" ? EventType.PUT : EventType.DELETE,
          kv: this.keyValue(event.kv),
          prevKv: prev === undefined ? undefined : this.keyValue(prev),
        });
      });
      messages.push(this.#response(index, { case: "events", value: { events: converted } }));
      chunk = [];
      bytes = 0;
    };
    for (const event of events) {
      const size = eventBytes(event);
      if (bytes + size > maxMessageBytes) flush();
      chunk.push(event);
      bytes += size;
    }
    flush();
    return messages;
  }

  progress(index: number): WatchResponse {
    return this.#response(index, { case: "progress", value: { index: BigInt(index) } });
  }

  compacted(compactIndex: number, appliedIndex: number): WatchResponse {
    return this.#response(appliedIndex, { case: "compacted", value: { compactIndex: BigInt(compactIndex) } });
  }

  abandoned(restoredIndex: number): WatchResponse {
    return this.#response(restoredIndex, { case: "abandoned", value: { restoredIndex: BigInt(restoredIndex) } });
  }

  canceled(reason: string, appliedIndex: number): WatchResponse {
    return this.#response(appliedIndex, { case: "canceled", value: { reason } });
  }

  #response(index: number, kind: MessageInitShape<typeof WatchResponseSchema>["kind"]): WatchResponse {
    return create(WatchResponseSchema, { header: this.header(index), kind });
  }
}

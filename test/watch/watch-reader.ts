import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { KV, type WatchRequest, type WatchResponse } from "../../src/gen/raftkv/v1/kv_pb.ts";

type WatchInit = Partial<Pick<WatchRequest, "key" | "rangeEnd" | "prefix" | "startIndex" | "prevKv" | "progressIntervalMs">>;

export function kvClient(endpoint: string): Client<typeof KV> {
  return createClient(KV, createGrpcTransport({ baseUrl: `http://${endpoint}`, acceptCompression: [] }));
}

/** One event as tests compare them: `put:key=value@index` or `delete:key@index`. */
export function describeEvents(message: WatchResponse): string[] {
  if (message.kind.case !== "events") return [];
  const text = new TextDecoder();
  return message.kind.value.events.map((e) => {
    const key = text.decode(e.kv?.key);
    const index = Number(e.kv?.modIndex);
    return e.type === 1 ? `put:${key}=${text.decode(e.kv?.value)}@${index}` : `delete:${key}@${index}`;
  });
}

/** A Watch call read one message at a time, each read bounded by a timeout so a missing message fails the test. */
export class WatchReader {
  readonly #abort = new AbortController();
  readonly #iterator: AsyncIterator<WatchResponse>;

  constructor(client: Client<typeof KV>, request: WatchInit) {
    this.#iterator = client.watch(request, { signal: this.#abort.signal })[Symbol.asyncIterator]();
  }

  /** The next message; undefined when the stream ended. */
  async next(timeoutMs = 20_000): Promise<WatchResponse | undefined> {
    let timer: Timer | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no watch message within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const pending = this.#iterator.next();
      // If the timeout wins, a later failure of this read must not surface as an unhandled rejection.
      pending.catch(() => undefined);
      const result = await Promise.race([pending, timeout]);
      return result.done === true ? undefined : result.value;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Messages until `done` says enough (it sees each one), failing on a stream end or a timeout. */
  async until(done: (message: WatchResponse) => boolean, timeoutMs = 20_000): Promise<WatchResponse[]> {
    const seen: WatchResponse[] = [];
    for (;;) {
      const message = await this.next(timeoutMs);
      if (message === undefined) throw new Error(`watch ended after ${seen.length} messages: ${seen.map((m) => m.kind.case).join(",")}`);
      seen.push(message);
      if (done(message)) return seen;
    }
  }

  /** Events (described) until `count` of them arrived. */
  async events(count: number, timeoutMs = 20_000): Promise<string[]> {
    const events: string[] = [];
    if (count === 0) return events;
    await this.until((m) => {
      events.push(...describeEvents(m));
      return events.length >= count;
    }, timeoutMs);
    return events;
  }

  cancel(): void {
    this.#abort.abort();
  }
}

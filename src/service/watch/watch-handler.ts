import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { StoredKv } from "../../fsm/kv-types.ts";
import {
  type KeyValue,
  type RequestProgressRequest,
  type RequestProgressResponse,
  RequestProgressResponseSchema,
  type ResponseHeader,
  type WatchRequest,
  type WatchResponse,
} from "../../gen/raftkv/v1/kv_pb.ts";
import { clientConnectionOf } from "../client-connection.ts";
import type { Limits } from "../limits.ts";
import type { WatchHub } from "./watch-hub.ts";
import { WatchResponses } from "./watch-response.ts";
import { defaultProgressIntervalMs, watchStream } from "./watch-stream.ts";

export interface WatchHandlerOptions {
  readonly hub: WatchHub;
  readonly limits: Limits;
  readonly header: (index: number) => ResponseHeader;
  readonly keyValue: (kv: StoredKv) => KeyValue;
  readonly defaultProgressIntervalMs?: number;
  readonly replayPageSize?: number;
}

export interface WatchHandlers {
  watch(request: WatchRequest, context: HandlerContext): AsyncGenerator<WatchResponse>;
  requestProgress(request: RequestProgressRequest, context: HandlerContext): RequestProgressResponse;
}

/** The KV service's Watch and RequestProgress, served from this node's watch hub (leaders and followers alike). */
export function createWatchHandlers(options: WatchHandlerOptions): WatchHandlers {
  const streamOptions = {
    hub: options.hub,
    responses: new WatchResponses(options.header, options.keyValue),
    limits: options.limits,
    defaultProgressIntervalMs: options.defaultProgressIntervalMs ?? defaultProgressIntervalMs,
    replayPageSize: options.replayPageSize ?? 500,
  };
  return {
    watch(request, context) {
      return watchStream(request, context.signal, streamOptions, clientConnectionOf(context));
    },
    requestProgress(request) {
      if (!options.hub.requestProgress(request.watchId)) {
        throw new ConnectError(`watch_id: no open watch ${JSON.stringify(request.watchId)} on this node; ask the node that serves the watch`, Code.NotFound);
      }
      return create(RequestProgressResponseSchema, { header: options.header(options.hub.appliedIndex()) });
    },
  };
}

import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues, createHandlerContext, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import {
  type Consistency,
  DeleteRequestSchema,
  DeleteResponseSchema,
  GetRequestSchema,
  GetResponseSchema,
  type KeyValue,
  KV,
  PutRequestSchema,
  PutResponseSchema,
  RangeRequestSchema,
  RangeResponseSchema,
  type ResponseHeader,
  TxnResponseSchema,
} from "../gen/raftkv/v1/kv_pb.ts";
import { clientConnectionKey, clientConnectionOf } from "../service/client-connection.ts";
import { parseConsistencyName } from "../service/consistency.ts";
import { casPutRequest, parseCasIndex } from "../service/kv/index.ts";
import { type BlockingOutcome, type BlockingQuery, blockingQueryOf, type WatchHub, waitForKeyChange } from "../service/watch/index.ts";
import { clientSocketKey } from "./client-socket.ts";
import { codeName, httpStatusOfCode } from "./connect-code-names.ts";
import { requestConnection } from "./request-connection.ts";
import { percentDecodeToBytes } from "./rest-percent-decode.ts";

type HttpRequest = IncomingMessage | Http2ServerRequest;
type HttpResponse = ServerResponse | Http2ServerResponse;

const kvPathPrefix = "/v1/kv/";
const utf8 = new TextDecoder("utf-8", { fatal: true });

class RequestTooLarge extends Error {}

export interface RestKvOptions {
  readonly kv: ServiceImpl<typeof KV>;
  readonly maxRequestBytes: number;
  /** Serves blocking queries (GET ?index=N&wait=...); without it they are refused. */
  readonly watchHub?: WatchHub;
}

/**
 * REST for curl users: PUT/GET/DELETE /v1/kv/{key} with the raw value as the
 * body, and GET /v1/kv/?prefix= for listing. It calls the same KV service
 * implementation as every RPC protocol, so validation and errors are shared.
 * Returns false for paths it does not own.
 */
export function createRestKvHandler(options: RestKvOptions): (req: HttpRequest, res: HttpResponse) => boolean {
  return (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    // Use the raw path: URL normalizes %2F-free paths, but keys may hold "/" and %XX escapes.
    const rawPath = (req.url ?? "/").split("?")[0] ?? "/";
    if (!rawPath.startsWith(kvPathPrefix) && rawPath !== "/v1/kv") return false;
    void serve(options, req, res, url, rawPath.slice(kvPathPrefix.length)).catch((error: unknown) => {
      // 413 is for a body over the limit; any other RESOURCE_EXHAUSTED (a limit of the node) is 429.
      sendError(res, toConnect(error), error instanceof RequestTooLarge ? 413 : undefined);
    });
    return true;
  };
}

async function serve(options: RestKvOptions, req: HttpRequest, res: HttpResponse, url: URL, rawKey: string): Promise<void> {
  const key = percentDecodeToBytes(rawKey);
  if (key === undefined) throw new ConnectError("key: malformed percent-encoding in the URL path", Code.InvalidArgument);
  const method = req.method ?? "GET";
  const context = contextFor(req, method, url);
  const consistency = parseConsistencyName("consistency", url.searchParams.get("consistency"));
  const { kv } = options;
  if (key.length === 0) {
    if (method !== "GET") throw new ConnectError(`method ${method} needs a key: /v1/kv/{key}`, Code.InvalidArgument);
    await listKeys(kv, req, res, url, consistency, context);
    return;
  }
  switch (method) {
    case "GET": {
      const blocking = blockingQueryOf(url.searchParams.get("index"), url.searchParams.get("wait"));
      const read = async () => create(GetResponseSchema, await kv.get(create(GetRequestSchema, { key, consistency }), context));
      let answer = await read();
      // Consul's blocking query: answer at once if the key already moved past the index, else wait on the watch hub.
      if (blocking !== undefined && !(answer.kv !== undefined && answer.kv.modIndex > BigInt(blocking.afterIndex))) {
        // A client that hung up gets nothing more.
        const outcome = await awaitKeyChange(options.watchHub, key, blocking, res, context);
        if (outcome === "aborted") return;
        // The index asked for is older than the history kept (compacted, or from before a restore): say so.
        if (outcome === "history-unknown" && options.watchHub !== undefined) res.setHeader("x-raftkv-compacted", String(options.watchHub.compactIndex()));
        answer = await read();
      }
      const header = answer.header;
      if (!answer.found || answer.kv === undefined) {
        writeHeaders(res, 404, "text/plain; charset=utf-8", header);
        res.end("key not found\n");
        return;
      }
      const found = answer.kv;
      res.setHeader("x-raftkv-create-index", String(found.createIndex));
      res.setHeader("x-raftkv-mod-index", String(found.modIndex));
      res.setHeader("x-raftkv-version", String(found.version));
      writeHeaders(res, 200, "application/octet-stream", header);
      res.end(found.value);
      return;
    }
    case "PUT":
    case "POST": {
      const value = await readBody(req, options.maxRequestBytes);
      const cas = parseCasIndex(url.searchParams.get("cas"));
      if (cas !== undefined) {
        // Consul's check-and-set: the body says whether the write happened; the index header says where.
        const answer = create(TxnResponseSchema, await kv.txn(casPutRequest(key, value, cas), context));
        writeJson(res, 200, answer.succeeded, answer.header);
        return;
      }
      const answer = create(PutResponseSchema, await kv.put(create(PutRequestSchema, { key, value }), context));
      writeJson(res, 200, { index: Number(answer.index), header: headerJson(answer.header) }, answer.header);
      return;
    }
    case "DELETE": {
      const answer = create(DeleteResponseSchema, await kv.delete(create(DeleteRequestSchema, { key }), context));
      writeJson(res, 200, { index: Number(answer.index), deleted: Number(answer.deleted), header: headerJson(answer.header) }, answer.header);
      return;
    }
    default:
      res.setHeader("allow", "GET, PUT, POST, DELETE");
      throw new ConnectError(`method ${method} is not supported on /v1/kv/{key}; use GET, PUT or DELETE`, Code.Unimplemented);
  }
}

/** Waits until the key changes after the query's index, the wait is over, or the client hangs up. */
async function awaitKeyChange(
  hub: WatchHub | undefined,
  key: Uint8Array,
  query: BlockingQuery,
  res: HttpResponse,
  context: HandlerContext,
): Promise<BlockingOutcome> {
  if (hub === undefined) throw new ConnectError("index: blocking queries are not available on this server", Code.Unimplemented);
  const gone = new AbortController();
  const onClose = (): void => gone.abort();
  // A GET has no body, so the request side never reports the client leaving; the response side does.
  res.once("close", onClose);
  const onAbort = (): void => gone.abort();
  context.signal.addEventListener("abort", onAbort);
  try {
    return await waitForKeyChange(hub, key, query, gone.signal, clientConnectionOf(context));
  } finally {
    res.off("close", onClose);
    context.signal.removeEventListener("abort", onAbort);
  }
}

async function listKeys(
  kv: ServiceImpl<typeof KV>,
  _req: HttpRequest,
  res: HttpResponse,
  url: URL,
  consistency: Consistency,
  context: HandlerContext,
): Promise<void> {
  const prefix = new TextEncoder().encode(url.searchParams.get("prefix") ?? "");
  const start = new TextEncoder().encode(url.searchParams.get("start") ?? "");
  const end = new TextEncoder().encode(url.searchParams.get("end") ?? "");
  const limitText = url.searchParams.get("limit");
  const limit = limitText === null ? 0 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 0 || limit > 0xffffffff) {
    throw new ConnectError(`limit: must be a non-negative integer, got ${JSON.stringify(limitText)}`, Code.InvalidArgument);
  }
  const keysOnly = url.searchParams.get("keys_only") === "true";
  const answer = create(RangeResponseSchema, await kv.range(create(RangeRequestSchema, { prefix, start, end, limit, keysOnly, consistency }), context));
  const kvs = answer.kvs;
  const nextKey = answer.nextKey;
  writeJson(
    res,
    200,
    {
      header: headerJson(answer.header),
      kvs: kvs.map((item) => keyValueJson(item, keysOnly)),
      more: answer.more,
      next_key: nextKey.length > 0 ? bytesJson(nextKey) : null,
      count: Number(answer.count),
    },
    answer.header,
  );
}

/** Text where the bytes are valid UTF-8, base64 otherwise; `encoding` says which. */
function bytesJson(bytes: Uint8Array): { readonly encoding: "utf8" | "base64"; readonly data: string } {
  try {
    return { encoding: "utf8", data: utf8.decode(bytes) };
  } catch {
    return { encoding: "base64", data: Buffer.from(bytes).toString("base64") };
  }
}

function keyValueJson(kv: KeyValue, keysOnly: boolean): Record<string, unknown> {
  const key = bytesJson(kv.key);
  const out: Record<string, unknown> = {
    key: key.data,
    key_encoding: key.encoding,
    create_index: Number(kv.createIndex),
    mod_index: Number(kv.modIndex),
    version: Number(kv.version),
  };
  if (!keysOnly) {
    const value = bytesJson(kv.value);
    out.value = value.data;
    out.value_encoding = value.encoding;
  }
  return out;
}

function headerJson(header: ResponseHeader | undefined): Record<string, unknown> | null {
  if (header === undefined) return null;
  return { index: Number(header.index), term: Number(header.term), leader_id: header.leaderId, member_id: header.memberId };
}

function contextFor(req: HttpRequest, method: string, url: URL): HandlerContext {
  const abort = new AbortController();
  req.once("close", () => {
    if (!req.complete) abort.abort(new ConnectError("client closed the request", Code.Canceled));
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith(":") || value === undefined) continue;
    headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  const rpc = KV.method.get;
  return createHandlerContext({
    service: KV,
    method: rpc,
    protocolName: "rest",
    requestMethod: method,
    url: url.toString(),
    requestSignal: abort.signal,
    requestHeader: headers,
    contextValues: createContextValues().set(clientSocketKey, req.socket).set(clientConnectionKey, requestConnection(req)),
  });
}

async function readBody(req: HttpRequest, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(req.headers["content-length"] ?? "NaN");
  if (Number.isFinite(declared) && declared > maxBytes) throw new RequestTooLarge(`request body is ${declared} bytes, over the limit of ${maxBytes} bytes`);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Uint8Array | string>) {
    const bytes = typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk;
    total += bytes.length;
    if (total > maxBytes) throw new RequestTooLarge(`request body is over the limit of ${maxBytes} bytes`);
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

function toConnect(error: unknown): ConnectError {
  if (error instanceof RequestTooLarge) return new ConnectError(error.message, Code.ResourceExhausted);
  return ConnectError.from(error);
}

function writeHeaders(res: HttpResponse, status: number, contentType: string, header: ResponseHeader | undefined): void {
  if (header !== undefined) {
    res.setHeader("x-raftkv-index", String(header.index));
    res.setHeader("x-raftkv-term", String(header.term));
    res.setHeader("x-raftkv-leader", header.leaderId);
  }
  res.setHeader("content-type", contentType);
  res.statusCode = status;
}

function writeJson(res: HttpResponse, status: number, body: unknown, header: ResponseHeader | undefined): void {
  writeHeaders(res, status, "application/json", header);
  res.end(`${JSON.stringify(body)}\n`);
}

function sendError(res: HttpResponse, error: ConnectError, httpStatus?: number): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const status = httpStatus ?? httpStatusOfCode(error.code);
  // RFC 6750: a 401 names the scheme the client should use.
  if (error.code === Code.Unauthenticated) res.setHeader("www-authenticate", "Bearer");
  writeJson(res, status, { code: codeName(error.code), message: error.rawMessage }, undefined);
}

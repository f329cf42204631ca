/**
 * What a page on another origin runs against a node: connect-web's own
 * clients (no raftkv library), over gRPC-Web or Connect (unary reads as
 * HTTP GET), plus REST with fetch. Every failure is reported, not thrown, so
 * the test sees what the browser allowed and what it blocked.
 */
import { ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { KV } from "../../../src/gen/raftkv/v1/kv_pb.ts";

export type CrossOriginProtocol = "grpc-web" | "connect";

export interface CrossOriginOutcome {
  readonly protocol: CrossOriginProtocol;
  readonly putIndex: string | undefined;
  readonly gotValue: string | undefined;
  readonly watchedKeys: string[];
  /** REST: the value read back, and a response header the page could only see if it was exposed. */
  readonly restValue: string | undefined;
  readonly restModIndexHeader: string | null | undefined;
  readonly errors: string[];
}

const utf8 = new TextEncoder();
const text = new TextDecoder();

function describe(error: unknown): string {
  return error instanceof ConnectError ? `${error.code}: ${error.rawMessage}` : String(error);
}

async function run(nodeUrl: string, protocol: CrossOriginProtocol, prefix: string): Promise<CrossOriginOutcome> {
  const transport = protocol === "grpc-web" ? createGrpcWebTransport({ baseUrl: nodeUrl }) : createConnectTransport({ baseUrl: nodeUrl, useHttpGet: true });
  const kv = createClient(KV, transport);
  const errors: string[] = [];
  const watchedKeys: string[] = [];
  let putIndex: string | undefined;
  let gotValue: string | undefined;

  // A server stream first, so the put below arrives on it live.
  const stop = new AbortController();
  const opened = Promise.withResolvers<void>();
  const watching = (async () => {
    try {
      for await (const answer of kv.watch({ key: utf8.encode(prefix), prefix: true }, { signal: stop.signal, timeoutMs: 15_000 })) {
        if (answer.kind.case === "created") opened.resolve();
        if (answer.kind.case === "events") for (const event of answer.kind.value.events) watchedKeys.push(text.decode(event.kv?.key));
        if (watchedKeys.length > 0) break;
      }
    } catch (error) {
      if (!stop.signal.aborted) errors.push(`watch: ${describe(error)}`);
    } finally {
      opened.resolve();
    }
  })();
  await opened.promise;
  try {
    putIndex = String((await kv.put({ key: utf8.encode(`${prefix}k`), value: utf8.encode(`from ${protocol}`) }, { timeoutMs: 5000 })).index);
  } catch (error) {
    errors.push(`put: ${describe(error)}`);
  }
  try {
    const got = await kv.get({ key: utf8.encode(`${prefix}k`) }, { timeoutMs: 5000 });
    gotValue = got.found ? text.decode(got.kv?.value) : undefined;
  } catch (error) {
    errors.push(`get: ${describe(error)}`);
  }
  await Promise.race([watching, new Promise((resolve) => setTimeout(resolve, 5000))]);
  stop.abort();

  let restValue: string | undefined;
  let restModIndexHeader: string | null | undefined;
  const restUrl = `${nodeUrl}/v1/kv/${encodeURIComponent(`${prefix}rest`)}`;
  try {
    const put = await fetch(restUrl, { method: "PUT", body: `rest from ${protocol}` });
    if (!put.ok) errors.push(`rest put: HTTP ${put.status}`);
    const got = await fetch(restUrl);
    restValue = await got.text();
    restModIndexHeader = got.headers.get("x-raftkv-mod-index");
  } catch (error) {
    errors.push(`rest: ${describe(error)}`);
  }
  return { protocol, putIndex, gotValue, watchedKeys, restValue, restModIndexHeader, errors };
}

(globalThis as { runCrossOrigin?: typeof run }).runCrossOrigin = run;

/**
 * What the test page runs: the project's client library, bundled for the
 * browser, talking gRPC-Web (fetch) to the node that served the page.
 */
import { RaftkvClient, webTransportFactory } from "../../../src/client/index.ts";

export interface PageOutcome {
  readonly putIndex: string;
  readonly gotValue: string;
  readonly txnSucceeded: boolean;
  readonly txnRepeatSucceeded: boolean;
  readonly watchedKeys: string[];
  readonly userAgent: string;
}

async function run(endpoint: string, token?: string): Promise<PageOutcome> {
  const client = new RaftkvClient({ endpoints: [endpoint], transport: webTransportFactory("grpc-web"), token });
  const text = new TextDecoder();
  const put = await client.put("browser/greeting", "hello from chromium");
  const got = await client.get("browser/greeting");
  const key = new TextEncoder().encode("browser/lock");
  const createOnly = {
    compare: [{ key, target: { case: "modIndex" as const, value: 0n }, op: 1 }],
    success: [{ op: { case: "put" as const, value: { key, value: new TextEncoder().encode("mine") } } }],
  };
  const first = await client.txn(createOnly);
  const second = await client.txn(createOnly);

  // A server-streaming call over gRPC-Web: replay from the first write on.
  const controller = new AbortController();
  const watchedKeys: string[] = [];
  for await (const update of client.watch({ key: new TextEncoder().encode("browser/"), prefix: true, startIndex: put.index }, { signal: controller.signal })) {
    if (update.kind === "events") for (const event of update.events) watchedKeys.push(text.decode(event.kv?.key));
    if (watchedKeys.length >= 2) break;
  }
  controller.abort();
  return {
    putIndex: put.index.toString(),
    gotValue: text.decode(got.kv?.value),
    txnSucceeded: first.succeeded,
    txnRepeatSucceeded: second.succeeded,
    watchedKeys,
    userAgent: navigator.userAgent,
  };
}

(globalThis as { runRaftkvPage?: (endpoint: string, token?: string) => Promise<PageOutcome> }).runRaftkvPage = run;

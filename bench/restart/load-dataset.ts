import { create } from "@bufbuild/protobuf";
import { RequestOpSchema } from "../../src/gen/raftkv/v1/kv_pb.ts";
import type { BenchNode } from "./bench-node.ts";

const utf8 = new TextEncoder();

/** A 32-byte value that differs per key, so pages cannot be deduplicated. */
function valueFor(key: string): Uint8Array {
  return utf8.encode(`${key}`.padEnd(32, ".").slice(0, 32));
}

/** Runs `count` jobs with `inFlight` at a time; each job is retried until it succeeds. */
async function runJobs(count: number, inFlight: number, job: (i: number) => Promise<unknown>, progress: (done: number) => void): Promise<void> {
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      for (let attempt = 1; ; attempt++) {
        try {
          await job(i);
          break;
        } catch (error) {
          if (attempt >= 5) throw new Error(`job ${i} failed ${attempt} times`, { cause: error });
          await Bun.sleep(100);
        }
      }
      if (++done % 10_000 === 0) progress(done);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

/** `keys` keys written by Txns of `perTxn` puts each: many keys, few log entries. */
export async function loadWithTxns(node: BenchNode, keys: number, perTxn: number, inFlight: number): Promise<void> {
  const client = node.client();
  const txns = Math.ceil(keys / perTxn);
  await runJobs(
    txns,
    inFlight,
    (t) => {
      const success = [];
      for (let k = t * perTxn; k < Math.min(keys, (t + 1) * perTxn); k++) {
        const key = `bulk/${String(k).padStart(8, "0")}`;
        success.push(create(RequestOpSchema, { op: { case: "put", value: { key: utf8.encode(key), value: valueFor(key) } } }));
      }
      return client.txn({ success }, { timeoutMs: 30_000 });
    },
    (done) => console.error(`  txns: ${done} / ${txns}`),
  );
}

/** `count` single Puts of new keys: one log entry each. */
export async function loadWithPuts(node: BenchNode, count: number, inFlight: number): Promise<void> {
  const client = node.client();
  await runJobs(
    count,
    inFlight,
    (i) => {
      const key = `single/${String(i).padStart(8, "0")}`;
      return client.put({ key: utf8.encode(key), value: valueFor(key) }, { timeoutMs: 30_000 });
    },
    (done) => console.error(`  puts: ${done} / ${count}`),
  );
}

/**
 * Counts the keys of a state machine copy and reads its history's compact
 * index, on a read-only connection in a Bun Worker: a count over a million
 * keys takes tens of milliseconds, which the event loop of a serving node
 * should not pay. The worker source is inlined (Blob URL), so
 * `bun build --compile` needs no extra entry point.
 */
const workerSource = `
import { Database } from "bun:sqlite";
self.onmessage = (event) => {
  let db;
  try {
    db = new Database(event.data.path, { readonly: true });
    const keys = db.query("SELECT count(*) AS n FROM kv").get().n;
    const compact = db.query("SELECT compact_index FROM history_state WHERE id = 1").get();
    postMessage({ ok: true, keys, compactIndex: compact === null ? 1 : compact.compact_index });
  } catch (err) {
    postMessage({ ok: false, message: err instanceof Error ? err.message : String(err) });
  } finally {
    try { db?.close(); } catch {}
  }
};
`;

let workerUrl: string | undefined;

export interface CopyFacts {
  readonly keys: number;
  readonly compactIndex: number;
}

type Reply = ({ readonly ok: true } & CopyFacts) | { readonly ok: false; readonly message: string };

export function readCopyFacts(path: string): Promise<CopyFacts> {
  workerUrl ??= URL.createObjectURL(new Blob([workerSource], { type: "application/javascript" }));
  const worker = new Worker(workerUrl);
  return new Promise<CopyFacts>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<Reply>) => {
      worker.terminate();
      const reply = event.data;
      if (reply.ok) resolve({ keys: reply.keys, compactIndex: reply.compactIndex });
      else reject(new Error(`reading ${path}: ${reply.message}`));
    };
    worker.onerror = (event: ErrorEvent) => {
      worker.terminate();
      reject(new Error(`reading ${path}: worker failed: ${event.message}`));
    };
    worker.postMessage({ path });
  });
}

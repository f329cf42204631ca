/**
 * Writes a transactionally consistent copy of a SQLite database with
 * `VACUUM INTO`, on a separate read-only connection in a Bun Worker. In WAL
 * mode that reader sees one committed state and does not block the writer, so
 * the event loop and the state machine's applies go on while the copy is
 * written (the WAL just cannot be checkpointed past the reader meanwhile).
 *
 * The worker source is inlined and started from a Blob URL rather than a
 * separate file, so `bun build --compile` needs no extra entry point for it.
 */
const workerSource = `
import { Database } from "bun:sqlite";
self.onmessage = (event) => {
  const { source, target } = event.data;
  let db;
  try {
    db = new Database(source, { readonly: true });
    db.exec("PRAGMA busy_timeout = 5000");
    db.query("VACUUM INTO ?").run(target);
    postMessage({ ok: true });
  } catch (err) {
    postMessage({ ok: false, message: err instanceof Error ? err.message : String(err) });
  } finally {
    try { db?.close(); } catch {}
  }
};
`;

let workerUrl: string | undefined;

interface CopyReply {
  readonly ok: boolean;
  readonly message?: string;
}

export function copyDatabaseInWorker(source: string, target: string): Promise<void> {
  workerUrl ??= URL.createObjectURL(new Blob([workerSource], { type: "application/javascript" }));
  const worker = new Worker(workerUrl);
  return new Promise<void>((resolve, reject) => {
    const finish = (err: Error | undefined): void => {
      worker.terminate();
      if (err === undefined) resolve();
      else reject(err);
    };
    worker.onmessage = (event: MessageEvent<CopyReply>) => {
      const reply = event.data;
      finish(reply.ok ? undefined : new Error(`copying ${source} to ${target}: ${reply.message ?? "unknown error"}`));
    };
    worker.onerror = (event: ErrorEvent) => {
      finish(new Error(`copying ${source} to ${target}: worker failed: ${event.message}`));
    };
    worker.postMessage({ source, target });
  });
}

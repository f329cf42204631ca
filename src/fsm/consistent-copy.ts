import type { FileDigest } from "../storage/snapshot-store.ts";

/**
 * Writes a transactionally consistent copy of a SQLite database with
 * `VACUUM INTO`, on a separate read-only connection in a Bun Worker. In WAL
 * mode that reader sees one committed state and does not block the writer, so
 * the event loop and the state machine's applies go on while the copy is
 * written (the WAL just cannot be checkpointed past the reader meanwhile).
 *
 * The worker also fsyncs the copy and computes its size and SHA-256, so the
 * event loop never waits for the tens of megabytes to reach the disk or be
 * hashed. It lowers its own thread's priority (Linux nice 10, per thread):
 * a copy is background work and, on a small machine, should take CPU from
 * the nodes' request handling only when it is idle.
 *
 * The worker source is inlined and started from a Blob URL rather than a
 * separate file, so `bun build --compile` needs no extra entry point for it.
 */
const workerSource = `
import { Database } from "bun:sqlite";
import { closeSync, fsyncSync, openSync, readlinkSync, readSync } from "node:fs";
import os from "node:os";

function lowerThreadPriority() {
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    if (Number.isInteger(tid) && tid > 0) os.setPriority(tid, 10);
  } catch {
    // Not Linux, or not permitted: the copy just runs at normal priority.
  }
}

function syncAndDigest(path) {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
    const hasher = new Bun.CryptoHasher("sha256");
    const buffer = new Uint8Array(1 << 20);
    let size = 0;
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, size);
      if (n === 0) break;
      hasher.update(buffer.subarray(0, n));
      size += n;
    }
    return { size, checksum: hasher.digest("hex") };
  } finally {
    closeSync(fd);
  }
}

self.onmessage = (event) => {
  const { source, target } = event.data;
  lowerThreadPriority();
  let db;
  try {
    db = new Database(source, { readonly: true });
    db.exec("PRAGMA busy_timeout = 5000");
    db.query("VACUUM INTO ?").run(target);
    db.close();
    db = undefined;
    postMessage({ ok: true, ...syncAndDigest(target) });
  } catch (err) {
    postMessage({ ok: false, message: err instanceof Error ? err.message : String(err) });
  } finally {
    try { db?.close(); } catch {}
  }
};
`;

let workerUrl: string | undefined;

type CopyReply = ({ readonly ok: true } & FileDigest) | { readonly ok: false; readonly message?: string };

/** Resolves once the copy is fsynced, with its length and SHA-256. */
export function copyDatabaseInWorker(source: string, target: string): Promise<FileDigest> {
  workerUrl ??= URL.createObjectURL(new Blob([workerSource], { type: "application/javascript" }));
  const worker = new Worker(workerUrl);
  return new Promise<FileDigest>((resolve, reject) => {
    const settle = (outcome: FileDigest | Error): void => {
      worker.terminate();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    worker.onmessage = (event: MessageEvent<CopyReply>) => {
      const reply = event.data;
      settle(reply.ok ? { size: reply.size, checksum: reply.checksum } : new Error(`copying ${source} to ${target}: ${reply.message ?? "unknown error"}`));
    };
    worker.onerror = (event: ErrorEvent) => {
      settle(new Error(`copying ${source} to ${target}: worker failed: ${event.message}`));
    };
    worker.postMessage({ source, target });
  });
}

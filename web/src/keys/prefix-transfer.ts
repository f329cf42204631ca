import type { RaftkvClient } from "../../../src/client/index.ts";
import { type ExportDocument, exportDocument, type ImportEntry } from "./export-format.ts";
import { textBytes } from "./key-text.ts";

/** Puts per transaction: under the server's 128 operations per Txn, and small enough to stay under its request size for typical values. */
const putsPerTxn = 64;

/** Every key under `prefix` (all pages), as an export document. */
export async function exportPrefix(client: RaftkvClient, prefix: string): Promise<ExportDocument> {
  const { kvs, index } = await client.rangeAll({ prefix: textBytes(prefix) });
  return exportDocument(prefix, index, kvs, new Date());
}

/**
 * Writes the entries, `putsPerTxn` at a time, each batch atomic (one Txn);
 * reports progress. Existing keys are overwritten: the operator confirmed
 * the import of exactly these keys. Stops at the first refused batch and
 * says how many were written.
 */
export async function importEntries(client: RaftkvClient, entries: readonly ImportEntry[], onProgress: (written: number) => void): Promise<number> {
  let written = 0;
  for (let at = 0; at < entries.length; at += putsPerTxn) {
    const batch = entries.slice(at, at + putsPerTxn);
    try {
      await client.txn({ success: batch.map((e) => ({ op: { case: "put" as const, value: { key: e.key, value: e.value } } })) });
    } catch (error) {
      throw new Error(`import stopped after ${written} of ${entries.length} keys: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    written += batch.length;
    onProgress(written);
  }
  return written;
}

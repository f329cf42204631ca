import type { AckLog } from "./ack-log.ts";
import { prefixEnd } from "./key-space.ts";
import type { KvTarget, StoredPair } from "./kv-target.ts";
import { sameBytes, sequenceOf, writeValue } from "./write-value.ts";

export interface LostWrite {
  readonly key: string;
  readonly reason: string;
}

export interface VerificationResult {
  /** Keys with at least one acknowledged write. */
  readonly keysChecked: number;
  readonly acknowledgedWrites: number;
  readonly lost: readonly LostWrite[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Reads back every key that had an acknowledged write (linearizable Range
 * pages per key prefix) and checks that its value comes from a write that
 * was not superseded by a later acknowledged one: a missing key, a foreign
 * or corrupted value, or an older value all count as a lost write.
 */
export async function verifyAcknowledgedWrites(
  target: KvTarget,
  ackLog: AckLog,
  prefixes: readonly string[],
  pageBytes = 1 << 20,
): Promise<VerificationResult> {
  const stored = new Map<string, Uint8Array>();
  for (const prefix of prefixes) {
    for (const pair of await scanPrefix(target, prefix, ackLog, pageBytes)) {
      stored.set(decoder.decode(pair.key), pair.value);
    }
  }
  const lost: LostWrite[] = [];
  for (const [key, latestAckedSend] of ackLog.acknowledgedKeys()) {
    const reason = checkKey(ackLog, key, latestAckedSend, stored.get(key));
    if (reason !== undefined) lost.push({ key, reason });
  }
  return { keysChecked: ackLog.acknowledgedKeys().size, acknowledgedWrites: ackLog.acknowledged, lost };
}

function checkKey(ackLog: AckLog, key: string, latestAckedSend: number, value: Uint8Array | undefined): string | undefined {
  if (value === undefined) return "missing: an acknowledged write left no value";
  const sequence = sequenceOf(value);
  const write = sequence === undefined ? undefined : ackLog.write(sequence);
  if (sequence === undefined || write === undefined) return "value carries no known write sequence";
  if (write.key !== key) return `value of write ${sequence} belongs to key ${write.key}`;
  if (!sameBytes(value, writeValue(sequence, write.valueSize))) return `value of write ${sequence} is corrupted`;
  if (write.ackedAt !== undefined && write.ackedAt < latestAckedSend) {
    return `stale: holds write ${sequence}, but a later acknowledged write was sent after it was acknowledged`;
  }
  return undefined;
}

async function scanPrefix(target: KvTarget, prefix: string, ackLog: AckLog, pageBytes: number): Promise<StoredPair[]> {
  const largestValue = largestValueSize(ackLog, prefix);
  const limit = Math.max(1, Math.min(1000, Math.floor(pageBytes / Math.max(1, largestValue))));
  const end = prefixEnd(encoder.encode(prefix));
  const pairs: StoredPair[] = [];
  let start = encoder.encode(prefix);
  for (;;) {
    const page = await target.range(start, end, limit, "linearizable");
    pairs.push(...page.pairs);
    const last = page.pairs.at(-1);
    if (!page.more || last === undefined) return pairs;
    // The next page starts right after the last key: key + "\0".
    start = new Uint8Array(last.key.length + 1);
    start.set(last.key, 0);
  }
}

function largestValueSize(ackLog: AckLog, prefix: string): number {
  let largest = 0;
  for (let sequence = 1; sequence <= ackLog.sent; sequence++) {
    const write = ackLog.write(sequence);
    if (write?.key.startsWith(prefix)) largest = Math.max(largest, write.valueSize);
  }
  return largest;
}

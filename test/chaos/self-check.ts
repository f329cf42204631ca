import type { RegisterOp } from "./register-workload.ts";

/**
 * Deliberately corrupted copies of a real recorded history, so a test can
 * prove the checking half of the suite is able to fail on this very data.
 */

/**
 * Replaces one successful read's value with the value of a write that was
 * definitely overwritten before the read began (w1 completed before w2 was
 * invoked, w2 completed before the read was invoked): a stale read. Values
 * are unique, so no other write could have restored it; the result is not
 * linearizable. Undefined when the history has no such triple.
 */
export function withStaleRead(ops: readonly RegisterOp[]): RegisterOp[] | undefined {
  const writesByKey = new Map<string, RegisterOp[]>();
  for (const op of ops) {
    if (op.input.kind !== "write" || op.output === undefined) continue;
    const list = writesByKey.get(op.input.key) ?? [];
    list.push(op);
    writesByKey.set(op.input.key, list);
  }
  for (let i = ops.length - 1; i >= 0; i--) {
    const read = ops[i];
    if (read === undefined || read.input.kind !== "read" || read.output?.kind !== "read") continue;
    const writes = (writesByKey.get(read.input.key) ?? []).filter((w) => w.return < read.call);
    for (const w2 of writes) {
      const w1 = writes.find((w) => w.return < w2.call);
      if (w1 === undefined || w1.input.kind !== "write" || w1.input.value === read.output.value) continue;
      const stale: RegisterOp = { ...read, output: { kind: "read", value: w1.input.value } };
      return ops.map((op, j) => (j === i ? stale : op));
    }
  }
  return undefined;
}

/** One successful read answers a value no client ever wrote. */
export function withPhantomRead(ops: readonly RegisterOp[]): RegisterOp[] | undefined {
  const index = ops.findIndex((op) => op.input.kind === "read" && op.output !== undefined);
  const read = ops[index];
  if (read === undefined) return undefined;
  const phantom: RegisterOp = { ...read, output: { kind: "read", value: "never-written" } };
  return ops.map((op, j) => (j === index ? phantom : op));
}

import type { RegisterInput, RegisterOutput } from "../../src/check/register-model.ts";
import { SeededRandom } from "../../src/random/seeded-random.ts";
import type { RegisterOp } from "./history-builder.ts";

export interface RandomHistoryOptions {
  readonly seed: number;
  readonly clients: number;
  readonly keys: number;
  readonly operations: number;
  /** Fraction of operations whose client never learns the outcome. */
  readonly ambiguousRate: number;
}

interface Planned {
  readonly clientId: number;
  readonly input: RegisterInput;
  readonly call: number;
  readonly ret: number;
  readonly ambiguous: boolean;
  /** When it takes effect; undefined = an ambiguous operation that never did. */
  readonly effectAt: number | undefined;
}

/**
 * A history that is linearizable by construction: every operation gets a
 * linearization point inside its interval, the operations are executed on a
 * real map in that order, and the outputs recorded are the ones that
 * execution produced. Ambiguous operations take effect (possibly long after
 * the client gave up) or never, at random.
 */
export function generateRegisterHistory(options: RandomHistoryOptions): RegisterOp[] {
  const random = new SeededRandom(options.seed);
  const clock = Array.from({ length: options.clients }, () => random.next() * 5);
  const writtenPerKey = new Map<string, string[]>();
  const planned: Planned[] = [];
  for (let n = 0; n < options.operations; n++) {
    const clientId = random.int(options.clients);
    const call = clock[clientId] ?? 0;
    const key = `k${random.int(options.keys)}`;
    const written = writtenPerKey.get(key) ?? [];
    const choice = random.next();
    let input: RegisterInput;
    if (choice < 0.5) {
      input = { kind: "read", key };
    } else if (choice < 0.85 || written.length === 0) {
      const value = `c${clientId}-${n}`;
      input = { kind: "write", key, value };
      written.push(value);
    } else {
      const expect = random.next() < 0.1 ? null : (written[written.length - 1 - random.int(Math.min(3, written.length))] ?? null);
      const value = `c${clientId}-${n}`;
      input = { kind: "cas", key, expect, value };
      written.push(value);
    }
    writtenPerKey.set(key, written);
    const ambiguous = random.next() < options.ambiguousRate;
    const effectAt = ambiguous ? (random.next() < 0.5 ? call + random.next() * 60 : undefined) : call + random.next() * 10;
    const ret = ambiguous ? call + 10 + random.next() * 10 : (effectAt ?? call) + random.next() * 10;
    planned.push({ clientId, input, call, ret, ambiguous, effectAt });
    clock[clientId] = ret + random.next() * 3;
  }

  const outputs = new Map<Planned, RegisterOutput>();
  const store = new Map<string, string>();
  const effective = planned.filter((p) => p.effectAt !== undefined);
  effective.sort((a, b) => (a.effectAt ?? 0) - (b.effectAt ?? 0));
  for (const p of effective) {
    const current = store.get(p.input.key) ?? null;
    switch (p.input.kind) {
      case "read":
        outputs.set(p, { kind: "read", value: current });
        break;
      case "write":
        store.set(p.input.key, p.input.value);
        outputs.set(p, { kind: "write" });
        break;
      case "cas": {
        const ok = current === p.input.expect;
        if (ok) store.set(p.input.key, p.input.value);
        outputs.set(p, { kind: "cas", ok });
        break;
      }
    }
  }

  return planned.map((p) =>
    p.ambiguous
      ? { clientId: p.clientId, input: p.input, call: p.call, output: undefined, return: Number.POSITIVE_INFINITY }
      : { clientId: p.clientId, input: p.input, call: p.call, output: outputs.get(p), return: p.ret },
  );
}

/** Replaces one completed read's value with one no operation ever wrote. */
export function corruptOneRead(history: readonly RegisterOp[], seed: number): RegisterOp[] {
  const random = new SeededRandom(seed);
  const reads = history.map((op, index) => ({ op, index })).filter(({ op }) => op.input.kind === "read" && op.output !== undefined);
  const victim = reads[random.int(reads.length)];
  if (victim === undefined) throw new Error("history has no completed read to corrupt");
  return history.map((op, index) => (index === victim.index ? { ...op, output: { kind: "read", value: "never-written" } } : op));
}

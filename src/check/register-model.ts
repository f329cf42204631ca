import type { Model, StepResult } from "./model.ts";
import type { Operation } from "./operation.ts";

export type RegisterInput =
  | { readonly kind: "read"; readonly key: string }
  | { readonly kind: "write"; readonly key: string; readonly value: string }
  | { readonly kind: "cas"; readonly key: string; readonly expect: string | null; readonly value: string };

export type RegisterOutput =
  | { readonly kind: "read"; readonly value: string | null } // null = key absent
  | { readonly kind: "write" }
  | { readonly kind: "cas"; readonly ok: boolean };

type RegisterOp = Operation<RegisterInput, RegisterOutput>;

const rejected: StepResult<string | null> = { ok: false };

function stepRegister(state: string | null, input: RegisterInput, output: RegisterOutput | undefined): StepResult<string | null> {
  switch (input.kind) {
    case "read":
      if (output === undefined) return { ok: true, next: state };
      return output.kind === "read" && output.value === state ? { ok: true, next: state } : rejected;
    case "write":
      if (output !== undefined && output.kind !== "write") return rejected;
      return { ok: true, next: input.value };
    case "cas": {
      const applies = state === input.expect;
      // An ambiguous CAS is still deterministic given the state: it swaps iff the expectation holds.
      if (output === undefined) return { ok: true, next: applies ? input.value : state };
      if (output.kind !== "cas" || output.ok !== applies) return rejected;
      return { ok: true, next: applies ? input.value : state };
    }
    default: {
      const unreachable: never = input;
      throw new Error(`unknown register input ${JSON.stringify(unreachable)}`);
    }
  }
}

/**
 * Splits by key: registers are independent, so each key's sub-history is
 * checked alone (linearizability is compositional). Within a key, ambiguous
 * operations that cannot matter are dropped, since each one left in doubles
 * what a failing search must explore:
 * - ambiguous reads: they change nothing and constrain nothing;
 * - ambiguous writes and CAS whose value no completed read returned and no
 *   CAS expects, on a key with no failed CAS. If such a write took effect,
 *   nothing could observe its value before the next write replaced it (a
 *   read would return the value, a successful CAS would expect it, and no
 *   failed CAS exists), so the same history in which it never took effect is
 *   also valid; and "never took effect" is always allowed for it.
 */
function partitionByKey(ops: readonly RegisterOp[]): RegisterOp[][] {
  const byKey = new Map<string, RegisterOp[]>();
  for (const op of ops) {
    if (op.input.kind === "read" && op.output === undefined) continue;
    const list = byKey.get(op.input.key);
    if (list === undefined) byKey.set(op.input.key, [op]);
    else list.push(op);
  }
  return [...byKey.values()].map(dropUnobservableAmbiguousWrites);
}

function dropUnobservableAmbiguousWrites(ops: RegisterOp[]): RegisterOp[] {
  const observed = new Set<string>();
  for (const op of ops) {
    if (op.output?.kind === "cas" && !op.output.ok) return ops;
    if (op.output?.kind === "read" && op.output.value !== null) observed.add(op.output.value);
    if (op.input.kind === "cas" && op.input.expect !== null) observed.add(op.input.expect);
  }
  return ops.filter((op) => op.output !== undefined || op.input.kind === "read" || observed.has(op.input.value));
}

function describeRegisterOperation(input: RegisterInput, output: RegisterOutput | undefined): string {
  const key = JSON.stringify(input.key);
  switch (input.kind) {
    case "read": {
      const seen = output?.kind === "read" ? JSON.stringify(output.value) : "?";
      return `read(${key}) -> ${seen}`;
    }
    case "write":
      return `write(${key}, ${JSON.stringify(input.value)})${output === undefined ? " -> ?" : ""}`;
    case "cas": {
      const outcome = output?.kind === "cas" ? (output.ok ? "ok" : "failed") : "?";
      return `cas(${key}, ${JSON.stringify(input.expect)} -> ${JSON.stringify(input.value)}) -> ${outcome}`;
    }
    default: {
      const unreachable: never = input;
      throw new Error(`unknown register input ${JSON.stringify(unreachable)}`);
    }
  }
}

/** A key -> value register store, one independent register per key; absent keys read as null. */
export const registerModel: Model<string | null, RegisterInput, RegisterOutput> = {
  init: () => null,
  step: stepRegister,
  partition: partitionByKey,
  // JSON keeps null and the string "null" apart.
  key: (state) => JSON.stringify(state),
  describeOperation: describeRegisterOperation,
  // Reads and failed CAS never change the register, wherever they are legal.
  isReadOnly: (input, output) => input.kind === "read" || (input.kind === "cas" && output?.kind === "cas" && !output.ok),
};

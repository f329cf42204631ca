import type { Operation } from "../../src/check/operation.ts";
import type { RegisterInput, RegisterOutput } from "../../src/check/register-model.ts";

export type RegisterOp = Operation<RegisterInput, RegisterOutput>;

const ambiguous = Number.POSITIVE_INFINITY;

/** Completed write. */
export function write(clientId: number, key: string, value: string, call: number, ret: number): RegisterOp {
  return { clientId, input: { kind: "write", key, value }, call, output: { kind: "write" }, return: ret };
}

/** Write whose outcome the client never learned. */
export function pendingWrite(clientId: number, key: string, value: string, call: number): RegisterOp {
  return { clientId, input: { kind: "write", key, value }, call, output: undefined, return: ambiguous };
}

export function read(clientId: number, key: string, value: string | null, call: number, ret: number): RegisterOp {
  return { clientId, input: { kind: "read", key }, call, output: { kind: "read", value }, return: ret };
}

export function cas(clientId: number, key: string, expect: string | null, value: string, ok: boolean, call: number, ret: number): RegisterOp {
  return { clientId, input: { kind: "cas", key, expect, value }, call, output: { kind: "cas", ok }, return: ret };
}

export function pendingCas(clientId: number, key: string, expect: string | null, value: string, call: number): RegisterOp {
  return { clientId, input: { kind: "cas", key, expect, value }, call, output: undefined, return: ambiguous };
}

import { expect, test } from "bun:test";
import { firstIllegalPrefix } from "./detection-time.ts";
import type { RegisterOp } from "./register-workload.ts";

const op = (clientId: number, input: RegisterOp["input"], call: number, ret: number, output: RegisterOp["output"]): RegisterOp => ({
  clientId,
  input,
  call,
  return: ret,
  output,
});

test("the detection time is when the first operation that breaks linearizability was invoked", () => {
  const ops: RegisterOp[] = [
    op(1, { kind: "write", key: "k", value: "v1" }, 0, 1_000, { kind: "write" }),
    op(1, { kind: "write", key: "k", value: "v2" }, 2_000, 3_000, { kind: "write" }),
    op(2, { kind: "read", key: "k" }, 5_000, 6_000, { kind: "read", value: "v2" }),
    // Stale: v1 was overwritten before this read began.
    op(2, { kind: "read", key: "k" }, 10_000, 11_000, { kind: "read", value: "v1" }),
    op(1, { kind: "read", key: "k" }, 20_000, 21_000, { kind: "read", value: "v2" }),
  ];
  const detected = firstIllegalPrefix(ops, 0, 250, 5_000);
  expect(detected).toBeGreaterThan(10_000);
  expect(detected).toBeLessThanOrEqual(10_250);
});

test("a linearizable history has no detection time", () => {
  const ops: RegisterOp[] = [
    op(1, { kind: "write", key: "k", value: "v1" }, 0, 1_000, { kind: "write" }),
    op(2, { kind: "read", key: "k" }, 500, 2_000, { kind: "read", value: "v1" }),
  ];
  expect(firstIllegalPrefix(ops, 0, 250, 5_000)).toBeUndefined();
});

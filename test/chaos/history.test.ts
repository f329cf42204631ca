import { expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { SeededRandom } from "../../src/random/seeded-random.ts";
import { History } from "./history.ts";
import { classifyFailure } from "./outcome.ts";
import { RegisterWorkload } from "./register-workload.ts";

type Input = { readonly kind: "read" | "write"; readonly value: string };

const refused = (): ConnectError => {
  const cause = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
  return new ConnectError("connect ECONNREFUSED 127.0.0.1:1", Code.Unavailable, undefined, undefined, cause);
};

test("definite failures are dropped, ambiguous writes stay open forever, ambiguous reads are dropped", async () => {
  const history = new History<Input, string>();
  const p = history.newProcess();
  expect(await history.run(p, { kind: "write", value: "a" }, async () => "ok")).toBe("ok");
  expect(await history.run(p, { kind: "write", value: "b" }, () => Promise.reject(new ConnectError("key: empty", Code.InvalidArgument)))).toBe("fail");
  expect(await history.run(p, { kind: "write", value: "c" }, () => Promise.reject(refused()))).toBe("fail");
  expect(await history.run(p, { kind: "write", value: "d" }, () => Promise.reject(new ConnectError("deadline", Code.DeadlineExceeded)))).toBe("info");
  expect(await history.run(p, { kind: "read", value: "" }, () => Promise.reject(new ConnectError("reset", Code.Unavailable)))).toBe("info");

  const ops = history.toOperations((input) => input.kind === "read");
  expect(ops.map((o) => o.input.value)).toEqual(["a", "d"]);
  expect(ops[0]?.output).toBe("ok");
  expect(ops[0]?.return).toBeGreaterThanOrEqual(ops[0]?.call ?? Number.NaN);
  expect(ops[1]?.output).toBeUndefined();
  expect(ops[1]?.return).toBe(Number.POSITIVE_INFINITY);
  expect(history.counts()).toEqual({ ok: 1, fail: 2, info: 2 });
});

test("UNAVAILABLE is ambiguous unless the connection was refused before sending", () => {
  expect(classifyFailure(refused()).kind).toBe("fail");
  expect(classifyFailure(new ConnectError("stream reset", Code.Unavailable)).kind).toBe("info");
  expect(classifyFailure(new ConnectError("boom", Code.Internal)).kind).toBe("info");
  expect(classifyFailure(new Error("socket hang up")).kind).toBe("info");
  expect(classifyFailure(new ConnectError("value: too big", Code.InvalidArgument)).kind).toBe("fail");
});

test("an ambiguous write is pruned only when no read ever returned its value", () => {
  const workload = new RegisterWorkload(
    {
      shouldStop: () => true,
      maxOpsPerClient: 0,
      requestTimeoutMs: 1,
      clients: 0,
      keys: 1,
      readFraction: 0.5,
      casFraction: 0,
      leaseReadFraction: 0,
      keyGenerationMs: 1_000,
    },
    new SeededRandom(1),
  );
  const h = workload.history;
  const p = h.newProcess();
  h.failed(h.invoke(p, { kind: "write", key: "k", value: "seen" }), new ConnectError("deadline", Code.DeadlineExceeded));
  h.failed(h.invoke(h.newProcess(), { kind: "write", key: "k", value: "unseen" }), new ConnectError("deadline", Code.DeadlineExceeded));
  h.ok(h.invoke(h.newProcess(), { kind: "read", key: "k" }), { kind: "read", value: "seen" });
  const ops = workload.operations();
  expect(ops.map((o) => (o.input.kind === "write" ? o.input.value : "read"))).toEqual(["seen", "read"]);
});

test("ambiguous writes a CAS expected, or on a key with a failed CAS, are kept", () => {
  const workload = new RegisterWorkload(
    {
      shouldStop: () => true,
      maxOpsPerClient: 0,
      requestTimeoutMs: 1,
      clients: 0,
      keys: 1,
      readFraction: 0.5,
      casFraction: 0.5,
      leaseReadFraction: 0,
      keyGenerationMs: 1_000,
    },
    new SeededRandom(1),
  );
  const h = workload.history;
  const deadline = new ConnectError("deadline", Code.DeadlineExceeded);
  h.failed(h.invoke(h.newProcess(), { kind: "write", key: "a", value: "expected" }), deadline);
  h.ok(h.invoke(h.newProcess(), { kind: "cas", key: "a", expect: "expected", value: "next" }), { kind: "cas", ok: true });
  // On "b" a failed CAS says the value was not "x": the unseen write may be why, so it must stay.
  h.failed(h.invoke(h.newProcess(), { kind: "write", key: "b", value: "unseen" }), deadline);
  h.ok(h.invoke(h.newProcess(), { kind: "cas", key: "b", expect: "x", value: "y" }), { kind: "cas", ok: false });
  const kept = workload.operations().map((o) => `${o.input.kind} ${o.input.key}`);
  expect(kept).toEqual(["write a", "cas a", "write b", "cas b"]);
});

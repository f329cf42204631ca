import { expect, test } from "bun:test";
import { createHandlerContext } from "@connectrpc/connect";
import type { EngineStatus } from "../../src/engine/engine.ts";
import { RaftNotLeaderError } from "../../src/engine/not-leader-error.ts";
import { KV } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { withLeaderAddress } from "../../src/service/write/leader-address-wait.ts";

function contextWith(timeoutMs: number) {
  return createHandlerContext({
    service: KV,
    method: KV.method.put,
    protocolName: "grpc",
    requestMethod: "POST",
    url: "http://127.0.0.1/raftkv.v1.KV/Put",
    requestHeader: new Headers(),
    timeoutMs,
  });
}

/** An engine whose view of the leader changes at a given time after the test starts. */
function engineLearning(after: { ms: number; leaderId: string; address: string } | undefined) {
  const started = performance.now();
  const learned = () => after !== undefined && performance.now() - started >= after.ms;
  return {
    status: () => ({ leaderId: learned() ? (after?.leaderId ?? "") : "n1" }) as EngineStatus,
    leaderClientAddress: () => (learned() ? (after?.address ?? "") : ""),
  };
}

const unknownAddress = new RaftNotLeaderError("node n2 is not the leader", "n1", "", false);

test("a refusal naming a leader without an address waits until the address is recorded", async () => {
  const refusal = await withLeaderAddress(engineLearning({ ms: 150, leaderId: "n1", address: "127.0.0.1:4001" }), unknownAddress, contextWith(5000));
  expect(refusal).toMatchObject({ leaderId: "n1", leaderClientAddress: "127.0.0.1:4001", proposed: false });
});

test("a leader elected meanwhile gets the write instead (it was never proposed)", async () => {
  const refusal = await withLeaderAddress(engineLearning({ ms: 100, leaderId: "n3", address: "127.0.0.1:4003" }), unknownAddress, contextWith(5000));
  expect(refusal).toMatchObject({ leaderId: "n3", leaderClientAddress: "127.0.0.1:4003", proposed: false });
});

test("the wait takes at most half the call's time, then the refusal stands", async () => {
  const started = performance.now();
  const refusal = await withLeaderAddress(engineLearning(undefined), unknownAddress, contextWith(400));
  expect(refusal).toBe(unknownAddress);
  expect(performance.now() - started).toBeLessThan(2000);
});

test("no leader at all, or an address already known: nothing to wait for", async () => {
  const noLeader = new RaftNotLeaderError("no leader", "", "", false);
  expect(await withLeaderAddress(engineLearning(undefined), noLeader, contextWith(5000))).toBe(noLeader);
  const known = new RaftNotLeaderError("not the leader", "n1", "127.0.0.1:4001", false);
  expect(await withLeaderAddress(engineLearning(undefined), known, contextWith(5000))).toBe(known);
});

import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { WRITE_NOT_PROPOSED_HEADER } from "../../src/client/call-failure.ts";
import { RaftkvClient } from "../../src/client/raftkv-client.ts";
import { WriteOutcomeUnknownError } from "../../src/client/write-outcome-unknown-error.ts";
import { GetConfigurationResponseSchema, MemberSchema } from "../../src/gen/raftkv/v1/cluster_pb.ts";
import { GetResponseSchema, PutResponseSchema, TxnResponseSchema } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { eventually } from "../support/eventually.ts";
import { FakeNodes, header } from "./fake-nodes.ts";

const fastRetry = { timeoutMs: 2_000, attemptTimeoutMs: 1_000, initialBackoffMs: 5, maxBackoffMs: 20 };

function clientOf(nodes: FakeNodes, endpoints: string[], discoverMembers = false): RaftkvClient {
  return new RaftkvClient({ endpoints, transport: nodes.transport, retry: fastRetry, discoverMembers });
}

const okPut = (member: string) => () => create(PutResponseSchema, { header: header(member, member, 7n), index: 7n });
const okGet = (member: string, leader: string) => () => create(GetResponseSchema, { header: header(member, leader, 7n), found: false });

describe("writes", () => {
  test("a refusal made before the log (cannot forward) moves the write to the next endpoint", async () => {
    const nodes = new FakeNodes()
      .define("a:1", {
        kv: {
          put: () => {
            throw new ConnectError("node a cannot forward the write: no leader is known (election in progress or no quorum); retry shortly", Code.Unavailable);
          },
        },
      })
      .define("b:1", { kv: { put: okPut("b") } });
    const answer = await clientOf(nodes, ["a:1", "b:1"]).put("k", "v");
    expect(answer.index).toBe(7n);
    expect(nodes.calls).toEqual(["a:1 put", "b:1 put"]);
  });

  test("the server's not-proposed header makes an UNAVAILABLE write retryable", async () => {
    const nodes = new FakeNodes()
      .define("a:1", {
        kv: {
          put: () => {
            throw new ConnectError("busy", Code.Unavailable, { [WRITE_NOT_PROPOSED_HEADER]: "true" });
          },
        },
      })
      .define("b:1", { kv: { put: okPut("b") } });
    await clientOf(nodes, ["a:1", "b:1"]).put("k", "v");
    expect(nodes.calls).toEqual(["a:1 put", "b:1 put"]);
  });

  test("a write whose outcome is unknown is reported, not retried", async () => {
    const nodes = new FakeNodes()
      .define("a:1", {
        kv: {
          put: () => {
            throw new ConnectError("leadership was lost before the write was applied; its outcome is unknown", Code.Unavailable);
          },
        },
      })
      .define("b:1", { kv: { put: okPut("b") } });
    const failure = await clientOf(nodes, ["a:1", "b:1"])
      .put("k", "v")
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(WriteOutcomeUnknownError);
    expect((failure as ConnectError).code).toBe(Code.Unavailable);
    expect((failure as ConnectError).rawMessage).toContain("outcome unknown");
    expect(nodes.calls).toEqual(["a:1 put"]);
  });

  test("a deadline exceeded on a write is an unknown outcome too", async () => {
    const nodes = new FakeNodes()
      .define("a:1", {
        kv: {
          delete: () => {
            throw new ConnectError("the proposal did not complete within 1000 ms", Code.DeadlineExceeded);
          },
        },
      })
      .define("b:1", {});
    const failure = await clientOf(nodes, ["a:1", "b:1"])
      .delete("k")
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(WriteOutcomeUnknownError);
    expect(nodes.calls).toEqual(["a:1 delete"]);
  });

  test("a transaction that only reads is retried like a read; one that writes is not", async () => {
    const flaky = () => {
      throw new ConnectError("node went away", Code.Unavailable);
    };
    const nodes = new FakeNodes()
      .define("a:1", { kv: { txn: flaky } })
      .define("b:1", { kv: { txn: () => create(TxnResponseSchema, { header: header("b", "b"), succeeded: true }) } });
    const client = clientOf(nodes, ["a:1", "b:1"]);
    const read = await client.txn({ success: [{ op: { case: "get", value: { key: new Uint8Array([1]) } } }] });
    expect(read.succeeded).toBe(true);
    const readCalls = nodes.calls.length;
    // The read answered on b; force the write to start at a again.
    const write = await clientOf(nodes, ["a:1", "b:1"])
      .txn({ success: [{ op: { case: "put", value: { key: new Uint8Array([1]) } } }] })
      .catch((e: unknown) => e);
    expect(write).toBeInstanceOf(WriteOutcomeUnknownError);
    expect(nodes.calls.slice(readCalls)).toEqual(["a:1 txn"]);
  });
});

describe("reads and errors", () => {
  test("a read fails over on any node-level failure", async () => {
    const nodes = new FakeNodes()
      .define("a:1", {
        kv: {
          get: () => {
            throw new ConnectError("node a knows no leader to confirm the read", Code.Unavailable);
          },
        },
      })
      .define("b:1", { kv: { get: okGet("b", "b") } });
    const answer = await clientOf(nodes, ["a:1", "b:1"]).get("k");
    expect(answer.found).toBe(false);
    expect(nodes.calls).toEqual(["a:1 get", "b:1 get"]);
  });

  test("the server's own answer (bad input) is passed on with its code, not retried", async () => {
    const nodes = new FakeNodes()
      .define("a:1", {
        kv: {
          get: () => {
            throw new ConnectError("key: must not be empty", Code.InvalidArgument);
          },
        },
      })
      .define("b:1", { kv: { get: okGet("b", "b") } });
    const failure = await clientOf(nodes, ["a:1", "b:1"])
      .get("")
      .catch((e: unknown) => e);
    expect((failure as ConnectError).code).toBe(Code.InvalidArgument);
    expect(nodes.calls).toEqual(["a:1 get"]);
  });

  test("when no endpoint answers, the call fails at its deadline naming the attempts", async () => {
    const down = () => {
      throw new ConnectError("no quorum", Code.Unavailable);
    };
    const nodes = new FakeNodes().define("a:1", { kv: { get: down } }).define("b:1", { kv: { get: down } });
    const failure = await clientOf(nodes, ["a:1", "b:1"])
      .get("k", { timeoutMs: 200 })
      .catch((e: unknown) => e);
    expect((failure as ConnectError).code).toBe(Code.Unavailable);
    expect((failure as ConnectError).rawMessage).toContain("no endpoint could serve the call");
    // Both endpoints, more than once: it backed off and went round again.
    expect(nodes.callsTo("a:1").length).toBeGreaterThan(1);
    expect(nodes.callsTo("b:1").length).toBeGreaterThan(1);
  });

  test("an aborted signal ends the call with Canceled", async () => {
    const nodes = new FakeNodes().define("a:1", {
      kv: {
        get: () => {
          throw new ConnectError("down", Code.Unavailable);
        },
      },
    });
    const controller = new AbortController();
    controller.abort();
    const failure = await clientOf(nodes, ["a:1"])
      .get("k", { signal: controller.signal })
      .catch((e: unknown) => e);
    expect((failure as ConnectError).code).toBe(Code.Canceled);
  });
});

describe("leader discovery", () => {
  test("writes go to the leader once a read answered by the leader itself ties its id to its endpoint", async () => {
    let aGets = 0;
    const nodes = new FakeNodes()
      .define("a:1", {
        kv: {
          get: () => {
            aGets++;
            if (aGets === 2) throw new ConnectError("node a went away for a moment", Code.Unavailable);
            return create(GetResponseSchema, { header: header("a", "b", 7n) });
          },
          put: okPut("b"),
        },
      })
      .define("b:1", { kv: { get: okGet("b", "b"), put: okPut("b") } });
    const client = clientOf(nodes, ["a:1", "b:1"]);
    await client.get("k");
    expect(client.leader()).toBe("b");
    // b's endpoint is not known yet: the write starts where the last call succeeded (a forwards it).
    await client.put("k", "v");
    expect(nodes.calls.at(-1)).toBe("a:1 put");
    // The next read fails over to b:1, whose answer names itself as the leader.
    await client.get("k");
    expect(nodes.calls.slice(-2)).toEqual(["a:1 get", "b:1 get"]);
    await client.put("k", "v2");
    expect(nodes.calls.at(-1)).toBe("b:1 put");
    await client.get("k");
    expect(nodes.calls.at(-1)).toBe("b:1 get");
  });

  test("the Cluster configuration supplies the leader's client address, even one not in the list", async () => {
    const members = [create(MemberSchema, { id: "a", clientAddress: "a:1" }), create(MemberSchema, { id: "z", clientAddress: "z:9", leader: true })];
    const nodes = new FakeNodes()
      .define("a:1", {
        kv: { get: okGet("a", "z"), put: okPut("z") },
        cluster: { getConfiguration: () => create(GetConfigurationResponseSchema, { header: header("a", "z"), members }) },
      })
      .define("z:9", { kv: { put: okPut("z") } });
    const client = clientOf(nodes, ["a:1"], true);
    await client.get("k");
    await eventually("the leader's address learned", () => client.endpoints().includes("z:9"), 1000, 10);
    expect(client.endpoints()).toEqual(["a:1", "z:9"]);
    await client.put("k", "v");
    expect(nodes.calls.at(-1)).toBe("z:9 put");
  });

  test("a failed leader is forgotten and the next endpoint is tried", async () => {
    const nodes = new FakeNodes()
      .define("a:1", {
        kv: {
          get: okGet("a", "a"),
          put: () => {
            throw new ConnectError("node a cannot forward the write: no leader is known", Code.Unavailable);
          },
        },
      })
      .define("b:1", { kv: { put: okPut("b") } });
    const client = clientOf(nodes, ["a:1", "b:1"]);
    await client.get("k");
    expect(client.leader()).toBe("a");
    await client.put("k", "v");
    expect(nodes.calls).toEqual(["a:1 get", "a:1 put", "b:1 put"]);
    expect(client.leader()).toBe("b");
  });
});

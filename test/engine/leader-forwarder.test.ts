import { expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createHandlerContext } from "@connectrpc/connect";
import { WRITE_NOT_PROPOSED_HEADER } from "../../src/client/call-failure.ts";
import { RaftNotLeaderError } from "../../src/engine/not-leader-error.ts";
import { DeleteRequestSchema, KV, PutRequestSchema } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { FORWARDED_HEADER, LeaderForwarder, MAX_FORWARD_HOPS } from "../../src/service/write/leader-forwarder.ts";
import { freePort } from "../support/free-port.ts";

function contextWith(headers: Record<string, string> = {}) {
  return createHandlerContext({
    service: KV,
    method: KV.method.put,
    protocolName: "grpc",
    requestMethod: "POST",
    url: "http://127.0.0.1/raftkv.v1.KV/Put",
    requestHeader: new Headers(headers),
    timeoutMs: 2000,
  });
}

const request = create(PutRequestSchema, { key: new TextEncoder().encode("k"), value: new Uint8Array(1) });

async function failure(promise: Promise<unknown>): Promise<ConnectError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectError);
  return error as ConnectError;
}

test("no known leader: UNAVAILABLE saying so", async () => {
  const forwarder = new LeaderForwarder("n2");
  const error = await failure(
    forwarder.forward(KV, new RaftNotLeaderError("not leader", "", "", false), contextWith(), (kv, options) => kv.put(request, options)),
  );
  expect(error.code).toBe(Code.Unavailable);
  expect(error.rawMessage).toContain("no leader is known");
  expect(error.metadata.get(WRITE_NOT_PROPOSED_HEADER)).toBe("true");
});

test("a leader whose client address is not known yet: UNAVAILABLE naming it", async () => {
  const forwarder = new LeaderForwarder("n2");
  const error = await failure(
    forwarder.forward(KV, new RaftNotLeaderError("not leader", "n1", "", false), contextWith(), (kv, options) => kv.put(request, options)),
  );
  expect(error.code).toBe(Code.Unavailable);
  expect(error.rawMessage).toContain("client address of leader n1 is not known");
});

test("an unreachable leader: UNAVAILABLE naming the leader and its address", async () => {
  const forwarder = new LeaderForwarder("n2");
  const address = `127.0.0.1:${freePort()}`;
  const error = await failure(
    forwarder.forward(KV, new RaftNotLeaderError("not leader", "n1", address, false), contextWith(), (kv, options) => kv.put(request, options)),
  );
  expect(error.code).toBe(Code.Unavailable);
  expect(error.rawMessage).toContain(`leader n1 at ${address}`);
  // Nothing listens there: the connection was refused, so the write certainly did not happen.
  expect(error.metadata.get(WRITE_NOT_PROPOSED_HEADER)).toBe("true");
});

test("a call forwarded to a node that no longer leads goes on to the leader it names, with the path in the header", async () => {
  const forwarder = new LeaderForwarder("n3");
  const seen: string[] = [];
  const answer = await forwarder.forward(
    KV,
    new RaftNotLeaderError("node n3 is not the leader", "n1", "127.0.0.1:1", false),
    contextWith({ [FORWARDED_HEADER]: "n2" }),
    (_kv, options) => {
      seen.push(options.headers.get(FORWARDED_HEADER) ?? "");
      return Promise.resolve("answered by n1");
    },
  );
  expect(answer).toBe("answered by n1");
  expect(seen).toEqual(["n2,n3"]);
});

for (const [path, why] of [
  ["n2,n3", "it came back to this node"],
  ["n1,n2,n4", "3 nodes forwarded it already"],
] as const) {
  test(`a call forwarded by ${path} is refused by n3, marked not proposed (${why})`, async () => {
    const forwarder = new LeaderForwarder("n3");
    let called = false;
    const error = await failure(
      forwarder.forward(
        KV,
        new RaftNotLeaderError("node n3 is not the leader", "n5", "127.0.0.1:1", false),
        contextWith({ [FORWARDED_HEADER]: path }),
        (kv, options) => {
          called = true;
          return kv.delete(create(DeleteRequestSchema, { key: request.key }), options);
        },
      ),
    );
    expect(called).toBe(false);
    expect(MAX_FORWARD_HOPS).toBe(3);
    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toContain(`forwarded here by ${path.split(",").join(" → ")}`);
    expect(error.rawMessage).toContain(why);
    // The client library retries such writes elsewhere only when marked so.
    expect(error.metadata.get(WRITE_NOT_PROPOSED_HEADER)).toBe("true");
  });
}

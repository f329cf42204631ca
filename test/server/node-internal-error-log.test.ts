import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { Consistency } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { Logger } from "../../src/log/logger.ts";
import { RaftkvNode } from "../../src/node/raftkv-node.ts";
import { kvClient, text } from "../kv-txn/support.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { testConfig } from "../support/test-node.ts";

const secret = "disk detail: /var/lib/raftkv/kv.db page 7 is corrupt";
const lines: string[] = [];
let node: RaftkvNode;
let dir: string;

beforeAll(async () => {
  dir = tempDir("internal-error-log");
  // The production composition root with a logger that keeps its JSON lines.
  node = await RaftkvNode.start(testConfig(dir), new Logger("warn", "json", {}, (line) => lines.push(line)));
  // No request can make a healthy node's handler throw a plain Error, so one
  // read of the live state machine is made to fail as a storage bug would.
  const fsm = node.engine.stateMachine;
  const get = fsm.get.bind(fsm);
  fsm.get = (key) => {
    if (new TextDecoder().decode(key) === "boom") throw new Error(secret);
    return get(key);
  };
});

beforeEach(() => {
  lines.length = 0;
});

afterAll(async () => {
  await node.close();
  removeDir(dir);
});

/** The "rpc handler failed" lines logged so far, parsed. */
function handlerFailures(): { procedure: string; error: string }[] {
  return lines.map((line) => JSON.parse(line) as { msg: string; procedure: string; error: string }).filter((entry) => entry.msg === "rpc handler failed");
}

function expectLoggedOnceWithStack(): void {
  const failures = handlerFailures();
  expect(failures).toHaveLength(1);
  expect(failures[0]?.procedure).toContain("raftkv.v1.KV/Get");
  expect(failures[0]?.error).toContain(`Error: ${secret}`);
  // The stack, not just the message: a frame of the code that threw.
  expect(failures[0]?.error).toMatch(/\n\s+at .*node-internal-error-log\.test\.ts/);
}

describe("an internal error in a handler of a production node", () => {
  test("gRPC (the unary fast path): the client gets INTERNAL without the detail, the log gets the stack once", async () => {
    const error = await kvClient(`127.0.0.1:${node.clientPort}`)
      .get({ key: text("boom"), consistency: Consistency.STALE })
      .then(
        () => undefined,
        (reason: unknown) => ConnectError.from(reason),
      );
    expect(error?.code).toBe(Code.Internal);
    expect(error?.rawMessage).toBe("internal error in /raftkv.v1.KV/Get");
    expectLoggedOnceWithStack();
  });

  test("Connect JSON over HTTP/1.1: the same", async () => {
    const response = await fetch(`http://127.0.0.1:${node.clientPort}/raftkv.v1.KV/Get`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ key: btoa("boom"), consistency: "CONSISTENCY_STALE" }),
    });
    const body = await response.text();
    expect(response.status).toBe(500);
    expect(JSON.parse(body)).toMatchObject({ code: "internal" });
    expect(body).not.toContain("corrupt");
    expectLoggedOnceWithStack();
  });

  test("a healthy read logs nothing", async () => {
    await kvClient(`127.0.0.1:${node.clientPort}`).get({ key: text("fine"), consistency: Consistency.STALE });
    expect(handlerFailures()).toHaveLength(0);
  });
});

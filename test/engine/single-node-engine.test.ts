import { afterEach, expect, test } from "bun:test";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { CommandSchema } from "../../src/gen/raftkv/v1/command_pb.ts";
import { SingleNodeEngine } from "../../src/engine/single-node-engine.ts";
import { KvStateMachine } from "../../src/fsm/kv-state-machine.ts";
import { RaftLogStore } from "../../src/storage/raft-log-store.ts";
import { removeDir, tempDir } from "../support/test-node.ts";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const putCommand = (key: string, value: string): Uint8Array =>
  toBinary(CommandSchema, create(CommandSchema, { op: { case: "put", value: { key: text(key), value: text(value) } } }));

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

function open(dir: string): { engine: SingleNodeEngine; logStore: RaftLogStore; fsm: KvStateMachine } {
  const logStore = RaftLogStore.open(join(dir, "raft.db"));
  const fsm = KvStateMachine.open(join(dir, "kv.db"));
  return { engine: SingleNodeEngine.open({ id: "n1", logStore, stateMachine: fsm }), logStore, fsm };
}

test("concurrent proposals share a log transaction and are acknowledged in index order", async () => {
  const dir = tempDir("engine-batch");
  dirs.push(dir);
  const { engine, logStore, fsm } = open(dir);
  const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => engine.propose(putCommand(`k${i}`, `v${i}`))));
  expect(answers.map((a) => a.index)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  expect(answers.every((a) => a.result.kind === "put")).toBe(true);
  expect(logStore.lastIndex()).toBe(200);
  expect(fsm.appliedIndex()).toBe(200);
  expect(new TextDecoder().decode(fsm.get(text("k7"))?.value)).toBe("v7");
  await engine.close();
  fsm.close();
  logStore.close();
});

test("restart replays log entries the state machine had not applied", async () => {
  const dir = tempDir("engine-replay");
  dirs.push(dir);
  const first = open(dir);
  await first.engine.propose(putCommand("a", "1"));
  await first.engine.close();
  // A crash between the log append and the apply: the log holds entries the
  // state machine never saw.
  first.logStore.append([
    { index: 2, term: 1, kind: "normal", data: putCommand("b", "2") },
    { index: 3, term: 1, kind: "normal", data: putCommand("a", "3") },
  ]);
  first.fsm.close();
  first.logStore.close();

  const second = open(dir);
  expect(second.fsm.appliedIndex()).toBe(3);
  expect(new TextDecoder().decode(second.fsm.get(text("a"))?.value)).toBe("3");
  expect(second.fsm.get(text("a"))?.version).toBe(2);
  expect(new TextDecoder().decode(second.fsm.get(text("b"))?.value)).toBe("2");
  const next = await second.engine.propose(putCommand("c", "4"));
  expect(next.index).toBe(4);
  expect(second.engine.status().term).toBe(1);
  await second.engine.close();
  second.fsm.close();
  second.logStore.close();
});

test("a closed engine refuses proposals with a shutdown error", async () => {
  const dir = tempDir("engine-closed");
  dirs.push(dir);
  const { engine, logStore, fsm } = open(dir);
  await engine.close();
  const error = await engine.propose(putCommand("x", "y")).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(Error);
  expect((error as { reason?: string }).reason).toBe("shutdown");
  expect(logStore.lastIndex()).toBe(0);
  fsm.close();
  logStore.close();
});

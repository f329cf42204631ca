import { afterAll, beforeAll, expect, test } from "bun:test";
import { RaftkvClient } from "../../src/client/raftkv-client.ts";
import { nodeTransportFactory } from "../../src/client/transport-for.ts";
import type { RaftkvNode } from "../../src/node/raftkv-node.ts";
import { runCli } from "../support/run-cli.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { startTestNode } from "../support/test-node.ts";

let dir = "";
let node: RaftkvNode | undefined;
let endpoint = "";

beforeAll(async () => {
  dir = tempDir("cli-unknown-flags");
  const started = await startTestNode(dir);
  node = started.node;
  endpoint = started.endpoint;
});

afterAll(async () => {
  await node?.close();
  removeDir(dir);
});

/** Each command line with --bogus, and flags its error must list as valid. */
const commands: readonly (readonly [readonly string[], readonly string[]])[] = [
  [["serve"], ["--data-dir <value>", "--join <value>", "--leave-on-shutdown"]],
  [
    ["put", "k", "v"],
    ["--lease <value>", "--endpoints <value>"],
  ],
  [
    ["get", "k"],
    ["--prefix", "--consistency <value>"],
  ],
  [
    ["del", "k"],
    ["--prefix", "--range-end <value>"],
  ],
  [
    ["scan", "p/"],
    ["--limit <value>", "--keys-only"],
  ],
  [["txn"], ["--file <value>"]],
  [
    ["watch", "k"],
    ["--prefix", "--start-index <value>"],
  ],
  [["lease", "grant", "30"], ["--id <value>"]],
  [["lease", "keep-alive", "1"], ["--once"]],
  [["lease", "list"], ["--endpoints <value>"]],
  [["cluster", "status"], ["--write-out <value> (-w)"]],
  [
    ["cluster", "add-voter", "n4", "127.0.0.1:1"],
    ["--client-address <value>", "--prev-index <value>"],
  ],
  [["cluster", "transfer-leader"], ["--endpoints <value>"]],
  [["bench"], ["--endpoints <value>", "--workload <value>", "--timeout <value>"]],
  [
    ["endpoint", "status"],
    ["--cluster", "--endpoints <value>", "--write-out <value> (-w)"],
  ],
  [
    ["endpoint", "health"],
    ["--cluster", "--timeout <value>"],
  ],
  [
    ["snapshot", "save", "f"],
    ["--endpoints <value>", "--timeout <value>"],
  ],
  [
    ["snapshot", "restore", "f"],
    ["--data-dir <value>", "--bump-index <value>"],
  ],
  [["snapshot", "status", "f"], ["--write-out <value> (-w)"]],
  [["compact", "5"], ["--endpoints <value>"]],
  [["version"], ["--write-out <value> (-w)"]],
];

test("every command refuses a flag it does not declare: one line listing the valid ones, exit status 1", async () => {
  for (const [command, listed] of commands) {
    const result = await runCli([...command, "--bogus", "--endpoints", endpoint]);
    const stderr = result.stderr.trim().split("\n");
    expect({ command, exitCode: result.exitCode, lines: stderr.length, stdout: result.stdout }).toEqual({ command, exitCode: 1, lines: 1, stdout: "" });
    expect(stderr[0]).toStartWith("error: unknown flag --bogus; valid flags: ");
    for (const flag of listed) expect(stderr[0]).toContain(flag);
  }
}, 120_000);

test("a refused command does nothing: put with a misspelled flag writes no key", async () => {
  const result = await runCli(["put", "typo/k", "v", "--endpoint", endpoint]);
  expect(result.exitCode).toBe(1);
  expect(result.stderr).toStartWith("error: unknown flag --endpoint; valid flags: --lease <value>, --endpoints <value>,");
  const client = new RaftkvClient({ endpoints: [endpoint], transport: nodeTransportFactory("grpc") });
  expect((await client.get("typo/k")).found).toBe(false);
}, 60_000);

test("a flag before the command, or before a group's subcommand, is refused too", async () => {
  const top = await runCli(["--bogus", "get", "k"]);
  expect({ exitCode: top.exitCode, stderr: top.stderr }).toEqual({
    exitCode: 1,
    stderr: "error: unknown flag --bogus: the command comes first (see --help)\n",
  });
  const group = await runCli(["cluster", "--json", "status"]);
  expect({ exitCode: group.exitCode, stderr: group.stderr }).toEqual({
    exitCode: 1,
    stderr: "error: unknown flag --json: the command comes first (see --help)\n",
  });
}, 60_000);

test("a string flag without a value and an extra argument are refused", async () => {
  const noValue = await runCli(["get", "k", "--endpoints"]);
  expect({ exitCode: noValue.exitCode, stderr: noValue.stderr }).toEqual({ exitCode: 1, stderr: "error: flag --endpoints needs a value\n" });
  const extra = await runCli(["del", "a", "b", "--endpoints", endpoint]);
  expect({ exitCode: extra.exitCode, stderr: extra.stderr }).toEqual({ exitCode: 1, stderr: 'error: unexpected argument "b"\n' });
}, 60_000);

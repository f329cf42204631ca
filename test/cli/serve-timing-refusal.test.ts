import { afterEach, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../support/run-cli.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";

const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

/** Runs `raftkv serve` with the given timing flags; a node that starts is killed after `timeoutMs` and fails the test by its exit code. */
async function serveWith(timingFlags: readonly string[]): Promise<{ exitCode: number; stderr: string; dataDir: string }> {
  const root = tempDir("timing");
  dirs.push(root);
  const dataDir = join(root, "data");
  const args = ["serve", "--data-dir", dataDir, "--listen", "127.0.0.1:0", "--raft-listen", "127.0.0.1:0", "--log-format", "json", ...timingFlags];
  const { exitCode, stderr } = await runCli(args, { timeoutMs: 10_000 });
  return { exitCode, stderr, dataDir };
}

describe("serve refuses a leader lease it cannot honour", () => {
  test("a lease equal to the heartbeat timeout: exit 1, one line naming both flags and values, data dir untouched", async () => {
    const { exitCode, stderr, dataDir } = await serveWith(["--leader-lease-timeout", "1000ms", "--heartbeat-timeout", "1000ms"]);
    expect(exitCode).toBe(1);
    const lines = stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toStartWith("error: --leader-lease-timeout 1000ms must be strictly below");
    expect(lines[0]).toContain("--heartbeat-timeout 1000ms");
    expect(lines[0]).toContain("--election-timeout 1000ms");
    expect(existsSync(dataDir)).toBe(false);
  }, 20_000);

  test("a lease shorter than one tick: exit 1 naming the flag", async () => {
    const { exitCode, stderr } = await serveWith(["--leader-lease-timeout", "50ms"]);
    expect(exitCode).toBe(1);
    expect(stderr.trim()).toBe("error: --leader-lease-timeout 50ms is shorter than one raft tick (100ms); the lease is counted in whole ticks");
  }, 20_000);
});

import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { ServeChild } from "../support/serve-child.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";

const started: { child: ServeChild; dir: string }[] = [];

afterEach(async () => {
  for (const { child, dir } of started.splice(0)) {
    await child.kill();
    removeDir(dir);
  }
});

/** Starts `raftkv serve` on port 0 and returns, once it serves, the environment of the spawned PID. */
async function serveAndReadEnvironment(env: Record<string, string | undefined>): Promise<Map<string, string>> {
  const dir = tempDir("alloc");
  const lines: string[] = [];
  const child = await ServeChild.start({
    label: "allocator-tuning node",
    args: ["--data-dir", dir, "--listen", "127.0.0.1:0", "--raft-listen", "127.0.0.1:0", "--log-format", "json"],
    onLine: (text) => lines.push(text),
    timeoutMs: 15_000,
    describe: () => lines.slice(-10).join("\n"),
    env,
  });
  started.push({ child, dir });
  const environ = new Map<string, string>();
  for (const pair of readFileSync(`/proc/${child.pid}/environ`, "utf8").split("\0")) {
    const at = pair.indexOf("=");
    if (at > 0) environ.set(pair.slice(0, at), pair.slice(at + 1));
  }
  return environ;
}

describe.skipIf(process.platform !== "linux")("allocator tuning of long-running commands", () => {
  test("serve re-executes itself, keeping its PID, with mimalloc's purging turned off", async () => {
    // The spawned PID itself serves (execve replaced the image), and its environment has the option.
    const environ = await serveAndReadEnvironment({ ...process.env, MIMALLOC_PURGE_DELAY: undefined });
    expect(environ.get("MIMALLOC_PURGE_DELAY")).toBe("-1");
  });

  test("a value the operator set is kept", async () => {
    const environ = await serveAndReadEnvironment({ ...process.env, MIMALLOC_PURGE_DELAY: "250" });
    expect(environ.get("MIMALLOC_PURGE_DELAY")).toBe("250");
  });
});

import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { spawn, type Subprocess } from "bun";

const mainScript = resolve(import.meta.dir, "../../src/cli/main.ts");
const started: { child: Subprocess; dir: string }[] = [];

afterEach(async () => {
  for (const { child, dir } of started.splice(0)) {
    child.kill("SIGKILL");
    await child.exited;
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Starts `raftkv serve` on port 0 and returns once it serves, with the environment its process ended up with. */
async function serveAndReadEnvironment(env: Record<string, string | undefined>): Promise<Map<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), "raftkv-alloc-"));
  const child = spawn(
    ["bun", mainScript, "serve", "--data-dir", dir, "--listen", "127.0.0.1:0", "--raft-listen", "127.0.0.1:0", "--log-format", "json"],
    { stdin: "ignore", stdout: "ignore", stderr: "pipe", env },
  );
  started.push({ child, dir });
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of child.stderr) {
    text += decoder.decode(chunk);
    if (text.includes('"msg":"serving"')) break;
  }
  expect(text).toContain('"msg":"serving"');
  const environ = new Map<string, string>();
  for (const pair of readFileSync(`/proc/${child.pid}/environ`, "utf8").split("\0")) {
    const at = pair.indexOf("=");
    if (at > 0) environ.set(pair.slice(0, at), pair.slice(at + 1));
  }
  return environ;
}

describe.skipIf(process.platform !== "linux")("allocator tuning of long-running commands", () => {
  test("serve re-executes itself, keeping its PID, with mimalloc's purging turned off", async () => {
    const environ = await serveAndReadEnvironment({ ...process.env, MIMALLOC_PURGE_DELAY: undefined });
    // The spawned PID itself serves (execve replaced the image), and its environment has the option.
    expect(environ.get("MIMALLOC_PURGE_DELAY")).toBe("-1");
  });

  test("a value the operator set is kept", async () => {
    const environ = await serveAndReadEnvironment({ ...process.env, MIMALLOC_PURGE_DELAY: "250" });
    expect(environ.get("MIMALLOC_PURGE_DELAY")).toBe("250");
  });
});

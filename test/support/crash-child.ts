/** Starts a bun child process, waits until it prints "ready", then SIGKILLs it. */
export async function runUntilReadyThenKill(script: string, args: string[]): Promise<void> {
  const child = Bun.spawn([process.execPath, script, ...args], { stdout: "pipe", stderr: "inherit" });
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let output = "";
  try {
    while (!output.includes("ready")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`child ${script} exited before it was ready (output: ${JSON.stringify(output)})`);
      output += decoder.decode(value);
    }
  } finally {
    reader.releaseLock();
    child.kill("SIGKILL");
    await child.exited;
  }
}

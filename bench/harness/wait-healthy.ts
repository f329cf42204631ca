import { errorMessage } from "../../src/log/error-message.ts";
import type { ServeChild } from "../../test/support/serve-child.ts";

/** Polls an HTTP health URL until it answers 200; fails early if the server exits. */
export async function waitHealthy(server: ServeChild, url: string, timeoutMs: number, init: BunFetchRequestInit = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = "no answer yet";
  while (Date.now() < deadline) {
    if (server.hasExited) {
      throw new Error(`${server.label} exited before it became healthy; log tail:\n${server.logTail()}`);
    }
    try {
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(1000) });
      if (response.status === 200) return;
      lastProblem = `HTTP ${response.status}`;
    } catch (error) {
      lastProblem = errorMessage(error);
    }
    await Bun.sleep(100);
  }
  throw new Error(`${server.label} not healthy at ${url} after ${timeoutMs} ms (${lastProblem}); log tail:\n${server.logTail()}`);
}

import type { ServerProcess } from "./server-process.ts";
import { errorMessage } from "../../src/log/error-message.ts";

/** Polls an HTTP health URL until it answers 200; fails early if the server exits. */
export async function waitHealthy(server: ServerProcess, url: string, timeoutMs: number, init: BunFetchRequestInit = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = "no answer yet";
  while (Date.now() < deadline) {
    if (server.exited) {
      throw new Error(`${server.name} exited before it became healthy; log tail:\n${server.logTail()}`);
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
  throw new Error(`${server.name} not healthy at ${url} after ${timeoutMs} ms (${lastProblem}); log tail:\n${server.logTail()}`);
}

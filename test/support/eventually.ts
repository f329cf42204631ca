/**
 * What a probe answers: a value when the awaited thing has happened;
 * undefined or false for "not yet". A thrown error also counts as "not yet"
 * (a node still starting refuses connections) and is kept for the message.
 */
export type Probe<T> = () => T | undefined | false | Promise<T | undefined | false>;

type Polled<T> = { readonly settled: true; readonly value: T } | { readonly settled: false; readonly lastError: unknown };

async function poll<T>(probe: Probe<T>, timeoutMs: number, pollMs: number): Promise<Polled<T>> {
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return { settled: true, value };
    } catch (error) {
      lastError = error;
    }
    if (performance.now() > deadline) return { settled: false, lastError };
    await Bun.sleep(pollMs);
  }
}

/**
 * Polls `probe` every `pollMs` until it answers a value, and resolves with
 * it; throws after `timeoutMs`, naming `what` (a function when the message
 * should say how far it got) and the probe's last error.
 */
export async function eventually<T>(what: string | (() => string), probe: Probe<T>, timeoutMs = 15_000, pollMs = 50): Promise<T> {
  const polled = await poll(probe, timeoutMs, pollMs);
  if (polled.settled) return polled.value;
  const awaited = typeof what === "string" ? what : what();
  const cause = polled.lastError === undefined ? "" : `: ${String(polled.lastError)}`;
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${awaited}${cause}`);
}

/**
 * Like `eventually`, but resolves with undefined when `timeoutMs` passes
 * instead of throwing: for callers to whom a timeout is an outcome to report
 * (the chaos runner turns it into a finding), not a test failure.
 */
export async function withinTime<T>(probe: Probe<T>, timeoutMs: number, pollMs = 50): Promise<T | undefined> {
  const polled = await poll(probe, timeoutMs, pollMs);
  return polled.settled ? polled.value : undefined;
}

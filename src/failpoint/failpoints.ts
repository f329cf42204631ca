/**
 * Named points where a crash is the most telling (the windows between two
 * durable steps). Off unless RAFTKV_FAILPOINTS names them; free when off
 * (one undefined check at each point).
 *
 *   RAFTKV_FAILPOINTS="snapshot.install.after-log-reset=crash"
 *   RAFTKV_FAILPOINTS="log.persist.before-commit=crash@3"   (the third time it is reached)
 *   RAFTKV_FAILPOINTS="log.persist.before-commit=error@5"   (an I/O error instead of a crash)
 *
 * The chaos suite sets them on real processes; the simulator installs its
 * own hook and crashes the simulated node there.
 */
export const failpointNames = [
  /** A snapshot arrived whole and verified, before the core decided to install it. */
  "snapshot.received",
  /** The core installs a received snapshot: before the log store's durable step. */
  "snapshot.install.before-log-reset",
  /** After the log store recorded the snapshot and reset the log, before the state machine is restored. */
  "snapshot.install.after-log-reset",
  /** Inside the state machine's restore: the new file is written beside the database, not yet in place. */
  "snapshot.restore.mid",
  /** Log entries are written inside their transaction, which is not committed (fsynced) yet. */
  "log.persist.before-commit",
  /** Committed entries were applied, before any proposer is answered. */
  "apply.before-answer",
] as const;

export type FailpointName = (typeof failpointNames)[number];

export interface Failpoints {
  /** Called when execution reaches the point; may not return. */
  hit(name: FailpointName): void;
}

interface Armed {
  readonly action: "crash" | "error";
  /** Fires on this hit (1 = the first). */
  readonly onHit: number;
  hits: number;
}

function isFailpointName(name: string): name is FailpointName {
  return (failpointNames as readonly string[]).includes(name);
}

/**
 * Parses RAFTKV_FAILPOINTS ("name=crash[@n],..."). Undefined when unset or
 * empty, so callers keep `failpoints?.hit(...)` as the only cost. An unknown
 * name or action is an error: a typo must not silently test nothing.
 */
export function failpointsFromEnv(text: string | undefined, crash: () => never = crashNow): Failpoints | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  const armed = new Map<FailpointName, Armed>();
  for (const item of text.split(",")) {
    const match = /^\s*([a-z.-]+)=(crash|error)(?:@(\d+))?\s*$/.exec(item);
    const name = match?.[1];
    const action = match?.[2] === "error" ? "error" : "crash";
    if (match === null || name === undefined) {
      throw new Error(`RAFTKV_FAILPOINTS: expected name=crash, name=error, name=crash@N or name=error@N, got ${JSON.stringify(item)}`);
    }
    if (!isFailpointName(name)) throw new Error(`RAFTKV_FAILPOINTS: unknown failpoint ${JSON.stringify(name)} (known: ${failpointNames.join(", ")})`);
    const onHit = match[3] === undefined ? 1 : Number(match[3]);
    if (!Number.isSafeInteger(onHit) || onHit < 1) throw new Error(`RAFTKV_FAILPOINTS: ${name}: the hit count must be at least 1`);
    armed.set(name, { action, onHit, hits: 0 });
  }
  return {
    hit(name) {
      const point = armed.get(name);
      if (point === undefined) return;
      point.hits++;
      if (point.hits !== point.onHit) return;
      if (point.action === "error") throw new Error(`failpoint ${name}: injected I/O error (hit ${point.hits})`);
      process.stderr.write(`raftkv: failpoint ${name} reached (hit ${point.hits}): crashing\n`);
      crash();
    },
  };
}

/** As kill -9: no exit handlers, no flushing, nothing after this line runs. */
function crashNow(): never {
  process.kill(process.pid, "SIGKILL");
  throw new Error("unreachable: SIGKILL did not stop the process");
}

let processWide: Failpoints | undefined | null = null;

/**
 * This process's failpoints, from RAFTKV_FAILPOINTS (parsed once). The
 * storage layers consult them at their crash windows; a node calls this at
 * start so that a malformed value stops it with a clear error.
 */
export function processFailpoints(): Failpoints | undefined {
  if (processWide === null) processWide = failpointsFromEnv(process.env.RAFTKV_FAILPOINTS);
  return processWide;
}

/**
 * PIDs of every node process alive, so that a runner that dies (Ctrl-C, a
 * test timeout, an uncaught error) still takes its nodes with it instead of
 * leaking them. Only PIDs this process spawned are ever signalled.
 */
const livePids = new Set<number>();

process.once("exit", () => {
  for (const pid of livePids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  // Turn the signal into a normal exit so the "exit" hook above runs.
  process.once(signal, () => process.exit(130));
}

export function trackPid(pid: number): void {
  livePids.add(pid);
}

export function untrackPid(pid: number): void {
  livePids.delete(pid);
}

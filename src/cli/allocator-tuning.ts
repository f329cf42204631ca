/**
 * Bun's allocator (mimalloc) gives freed memory back to the OS 100 ms after
 * it was freed (`MIMALLOC_PURGE_DELAY`). A server under steady load frees and
 * reuses the same memory all the time, so each purge (madvise) is soon
 * followed by page faults that take it back; on this project's 2-core VM that
 * churn cost a third of the throughput: a 3-node cluster did 3,300 Puts/s at
 * 100 in flight with the default and 4,300–4,800 with purging off, and its
 * CPU per Put fell from ~370 to ~260 µs (bench/README.md has the command).
 * Memory stays at its high-water mark instead, as in most servers.
 *
 * mimalloc reads the option once, before any JavaScript runs, so the long
 * running commands re-execute themselves (execve: same PID, same stdio) with
 * it set. Setting MIMALLOC_PURGE_DELAY yourself (any value) is respected.
 */
const purgeDelay = "MIMALLOC_PURGE_DELAY";
const longRunningCommands = new Set(["serve", "bench"]);

export function reexecWithAllocatorTuning(): void {
  if (process.platform !== "linux" || process.env[purgeDelay] !== undefined || process.execve === undefined) return;
  if (!longRunningCommands.has(process.argv[2] ?? "")) return;
  // A compiled binary lists its embedded entry point as argv[1] and adds it again by itself.
  const compiled = process.argv[1]?.startsWith("/$bunfs/") ?? false;
  const args = compiled ? [process.argv0, ...process.argv.slice(2)] : [process.argv0, ...process.execArgv, ...process.argv.slice(1)];
  try {
    process.execve(process.execPath, args, { ...process.env, [purgeDelay]: "-1" });
  } catch {
    // execve failed and this process is unchanged: run with the allocator's default.
  }
}

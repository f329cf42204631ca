import type { LoadResult } from "./load-result.ts";

/** A human-readable block for one load run, as `raftkv bench` prints it. */
export function formatLoadResult(system: string, result: LoadResult): string {
  const l = result.latency;
  const errors =
    result.errors === 0
      ? "0"
      : `${result.errors} (${Object.entries(result.errorKinds)
          .map(([kind, count]) => `${kind}: ${count}`)
          .join(", ")})`;
  const lines = [
    `${system}: ${result.workload}, ${result.mode}`,
    `  throughput  ${result.throughput.toFixed(0)} req/s (${result.succeeded} ok in ${result.elapsedSeconds.toFixed(2)} s)`,
    `  latency ms  p50 ${l.p50Ms}  p90 ${l.p90Ms}  p99 ${l.p99Ms}  p99.9 ${l.p999Ms}  max ${l.maxMs}  mean ${l.meanMs}`,
    `  errors      ${errors}`,
    `  client cpu  ${result.clientCpuSeconds.toFixed(2)} s (${perRequestMicros(result)} µs per request)`,
  ];
  if (result.skipped > 0) lines.push(`  skipped     ${result.skipped} (open loop: too many in flight)`);
  return lines.join("\n");
}

function perRequestMicros(result: LoadResult): string {
  const requests = result.succeeded + result.errors;
  return requests === 0 ? "-" : ((result.clientCpuSeconds * 1e6) / requests).toFixed(0);
}

export interface H2loadOptions {
  binary: string;
  url: string;
  /** File holding the gRPC-framed request message. */
  bodyFile: string;
  requests: number;
  clients: number;
  streamsPerClient: number;
  /** More request headers ("authorization: Bearer ..."). */
  headers?: readonly string[];
}

export interface H2loadResult {
  readonly requests: number;
  readonly clients: number;
  readonly streamsPerClient: number;
  readonly inFlight: number;
  readonly elapsedSeconds: number;
  readonly throughput: number;
  /** HTTP-level outcome: h2load cannot see grpc-status trailers (see appliedWrites in the harness). */
  readonly succeeded: number;
  readonly failed: number;
  readonly errored: number;
  readonly timedOut: number;
  readonly minMs: number;
  readonly meanMs: number;
  readonly maxMs: number;
  readonly sdMs: number;
}

/** Runs h2load (nghttp2) with gRPC headers and parses its summary. */
export async function runH2load(options: H2loadOptions): Promise<H2loadResult> {
  const args = [
    options.binary,
    "-n",
    String(options.requests),
    "-c",
    String(options.clients),
    "-m",
    String(options.streamsPerClient),
    "-d",
    options.bodyFile,
    "-H",
    "content-type: application/grpc",
    "-H",
    "te: trailers",
    ...(options.headers ?? []).flatMap((header) => ["-H", header]),
    options.url,
  ];
  const child = Bun.spawn(args, { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  if (exitCode !== 0) throw new Error(`h2load exited with ${exitCode}: ${stderr.trim() || stdout.trim()}`);
  return parseH2loadOutput(stdout, options);
}

export function parseH2loadOutput(output: string, options: Pick<H2loadOptions, "requests" | "clients" | "streamsPerClient">): H2loadResult {
  const finished = /finished in ([\d.]+)(ms|s), ([\d.]+) req\/s/.exec(output);
  const counts = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(output);
  const times = /time for request:\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)/.exec(output);
  if (finished === null || counts === null || times === null) {
    throw new Error(`cannot parse h2load output:\n${output}`);
  }
  const elapsed = Number(finished[1]);
  return {
    requests: options.requests,
    clients: options.clients,
    streamsPerClient: options.streamsPerClient,
    inFlight: options.clients * options.streamsPerClient,
    elapsedSeconds: finished[2] === "ms" ? elapsed / 1000 : elapsed,
    throughput: Number(finished[3]),
    succeeded: Number(counts[1]),
    failed: Number(counts[2]),
    errored: Number(counts[3]),
    timedOut: Number(counts[4]),
    minMs: durationMs(times[1]),
    maxMs: durationMs(times[2]),
    meanMs: durationMs(times[3]),
    sdMs: durationMs(times[4]),
  };
}

/** h2load prints "123us", "1.23ms" or "1.23s". */
function durationMs(text: string | undefined): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(text ?? "");
  if (match === null) return Number.NaN;
  const value = Number(match[1]);
  switch (match[2]) {
    case "us":
      return value / 1000;
    case "ms":
      return value;
    default:
      return value * 1000;
  }
}

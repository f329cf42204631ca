import { defineCommand } from "citty";
import {
  AckLog,
  formatLoadResult,
  type LoadResult,
  LoadRunner,
  modeFrom,
  numberFlag,
  openTarget,
  parseClientLibrary,
  type TargetSystem,
  verifyAcknowledgedWrites,
  workloadFrom,
} from "../bench/index.ts";
import { endpointsFrom } from "./client-args.ts";
import { DEFAULT_CLIENT_ADDRESS } from "./default-addresses.ts";
import { parseDurationMs } from "./duration.ts";
import { envName, flagValue } from "./flag-value.ts";
import { outputFormatOf, writeOutArgs } from "./output-format.ts";
import { ProgressLine } from "./progress-line.ts";

function systemFrom(text: string): TargetSystem {
  switch (text) {
    case "raftkv":
    case "etcd":
      return text;
    default:
      throw new Error(`unknown --target "${text}" (expected raftkv or etcd)`);
  }
}

/** `raftkv bench`: a load generator for raftkv's and etcd's KV APIs. */
export const benchCommand = defineCommand({
  meta: {
    name: "bench",
    description: "Load generator for raftkv and etcd: closed loop (N in flight) or open loop (--rate), HDR latency percentiles",
  },
  args: {
    endpoints: {
      type: "string",
      description: `Client addresses, comma-separated; the load goes to the first (default ${DEFAULT_CLIENT_ADDRESS}); env ${envName("endpoints")}`,
    },
    target: { type: "string", description: "raftkv or etcd (default raftkv)" },
    workload: { type: "string", description: "put, fill (sequential keys), get, mixed or range (default put)" },
    read: { type: "string", description: "Read level: linearizable, or stale (= etcd serializable) (default linearizable)" },
    "read-ratio": { type: "string", description: "Share of reads in the mixed workload (default 0.9)" },
    "range-count": { type: "string", description: "Keys per range request (default 100)" },
    "in-flight": { type: "string", description: "Requests in flight, closed loop; cap in open loop (default 16)" },
    rate: { type: "string", description: "Open loop: requests started per second (default 0 = closed loop)" },
    requests: { type: "string", description: "Stop after this many requests (default 10000)" },
    duration: { type: "string", description: "Stop after this many seconds (default: none)" },
    keyspace: { type: "string", description: "Number of distinct keys (default 100000)" },
    "key-prefix": { type: "string", description: "Key prefix (default bench/)" },
    "value-size": { type: "string", description: "Value size in bytes (default 256)" },
    client: { type: "string", description: "Client library: http2 (lean built-in gRPC client), connect or grpc-js (default http2)" },
    connections: { type: "string", description: "HTTP/2 connections (default 1)" },
    timeout: { type: "string", description: `Per-request deadline (default 10s); env ${envName("timeout")}` },
    seed: { type: "string", description: "Seed for the key sequence (default 1)" },
    verify: { type: "boolean", description: "Read back every acknowledged write afterwards and report lost ones" },
    ...writeOutArgs,
  },
  async run({ args }) {
    const system = systemFrom(args.target ?? "raftkv");
    const durationSeconds = numberFlag("duration", args.duration, 0, true);
    const keyPrefix = args["key-prefix"] ?? "bench/";
    const target = openTarget({
      system,
      endpoint: endpointsFrom(args)[0] ?? DEFAULT_CLIENT_ADDRESS,
      client: parseClientLibrary(args.client ?? "http2"),
      connections: numberFlag("connections", args.connections, 1),
      timeoutMs: parseDurationMs("timeout", flagValue(args.timeout, "timeout", "10s")),
    });
    const ackLog = new AckLog();
    const format = outputFormatOf(args);
    const progress = new ProgressLine();
    try {
      const runner = new LoadRunner(
        target,
        {
          workload: workloadFrom({
            workload: args.workload ?? "put",
            read: args.read ?? "linearizable",
            readRatio: numberFlag("read-ratio", args["read-ratio"], 0.9, true),
            rangeCount: numberFlag("range-count", args["range-count"], 100),
          }),
          mode: modeFrom(numberFlag("in-flight", args["in-flight"], 16), numberFlag("rate", args.rate, 0, true)),
          requests: durationSeconds > 0 && args.requests === undefined ? undefined : numberFlag("requests", args.requests, 10_000),
          durationMs: durationSeconds > 0 ? durationSeconds * 1000 : undefined,
          keyPrefix,
          keySpaceSize: numberFlag("keyspace", args.keyspace, 100_000),
          valueSize: numberFlag("value-size", args["value-size"], 256),
          seed: numberFlag("seed", args.seed, 1, true),
        },
        ackLog,
      );
      // A live line on a terminal: requests done, errors and the rate so far.
      const ticker = setInterval(() => {
        const p = runner.progress();
        const rate = p.elapsedSeconds > 0 ? Math.round(p.succeeded / p.elapsedSeconds) : 0;
        progress.update(`bench: ${p.succeeded} ok, ${p.errors} errors, ${rate}/s, ${p.elapsedSeconds.toFixed(1)}s`);
      }, 200);
      let result: LoadResult;
      try {
        result = await runner.run();
      } finally {
        clearInterval(ticker);
        progress.done();
      }
      const verification = args.verify ? await verifyAcknowledgedWrites(target, ackLog, [keyPrefix]) : undefined;
      if (format === "json") {
        console.log(JSON.stringify({ system, result, verification }, null, 2));
      } else {
        console.log(formatLoadResult(system, result));
        if (verification !== undefined) {
          console.log(
            `  verified    ${verification.keysChecked} keys, ${verification.acknowledgedWrites} acknowledged writes, ${verification.lost.length} lost`,
          );
          for (const lost of verification.lost.slice(0, 10)) console.log(`    lost ${lost.key}: ${lost.reason}`);
        }
      }
      if (verification !== undefined && verification.lost.length > 0) process.exitCode = 1;
    } finally {
      target.close();
    }
  },
});

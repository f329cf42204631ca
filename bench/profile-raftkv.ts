#!/usr/bin/env bun
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
// Where does a raftkv node spend its CPU under load? Starts one node under
// `bun --cpu-prof` (the dev entry point: a compiled binary carries no source
// URLs to attribute samples to), drives it with h2load (C, so the client
// does not compete in the profile), stops it with SIGTERM so the profile is
// written, and prints self/inclusive time per layer and the top functions.
//
//   bun bench/profile-raftkv.ts [--workload put|get] [--requests N] [--in-flight 100] [--out FILE.md]
//                               [--keep-profile FILE.cpuprofile]  (open in Chrome DevTools / speedscope)
import { create, toBinary } from "@bufbuild/protobuf";
import { Consistency, GetRequestSchema } from "../src/gen/raftkv/v1/kv_pb.ts";
import { freePort } from "../test/support/free-port.ts";
import { ServeChild } from "../test/support/serve-child.ts";
import { removeDir, tempDir } from "../test/support/temp-dir.ts";
import { type CpuProfile, profileMarkdown, summarizeProfile } from "./harness/cpu-profile-summary.ts";
import { grpcFrame, putBody } from "./harness/grpc-put-body.ts";
import { runH2load } from "./harness/h2load.ts";
import { waitHealthy } from "./harness/wait-healthy.ts";

const ROOT = resolve(import.meta.dir, "..");

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: {
      workload: { type: "string", default: "put" },
      requests: { type: "string", default: "30000" },
      "in-flight": { type: "string", default: "100" },
      out: { type: "string" },
      "keep-profile": { type: "string" },
    },
  });
  const workload = values.workload;
  if (workload !== "put" && workload !== "get") throw new Error(`--workload must be put or get, got ${workload}`);
  const inFlight = Number(values["in-flight"]);
  const workDir = tempDir("profile");
  const profileDir = join(workDir, "profile");
  mkdirSync(profileDir);
  const clientPort = freePort();
  const server = ServeChild.spawn({
    label: "raftkv (profiled)",
    command: [
      process.execPath,
      "--cpu-prof",
      `--cpu-prof-dir=${profileDir}`,
      join(ROOT, "src/cli/main.ts"),
      "serve",
      "--id",
      "n1",
      "--data-dir",
      join(workDir, "data"),
      "--listen",
      `127.0.0.1:${clientPort}`,
      "--raft-listen",
      `127.0.0.1:${freePort()}`,
      "--log-level",
      "warn",
    ],
    output: { logFile: join(workDir, "raftkv.log") },
  });
  try {
    await waitHealthy(server, `http://127.0.0.1:${clientPort}/healthz`, 30_000);
    const bodyFile = join(workDir, "body.bin");
    const putFile = join(workDir, "put.bin");
    writeFileSync(putFile, putBody("raftkv", 256));
    writeFileSync(
      bodyFile,
      workload === "put"
        ? putBody("raftkv", 256)
        : grpcFrame(
            toBinary(GetRequestSchema, create(GetRequestSchema, { key: new TextEncoder().encode("h2load/key"), consistency: Consistency.LINEARIZABLE })),
          ),
    );
    // The key must exist for reads to do real work.
    await runH2load({
      binary: "/usr/bin/h2load",
      url: `http://127.0.0.1:${clientPort}/raftkv.v1.KV/Put`,
      bodyFile: putFile,
      requests: 10,
      clients: 1,
      streamsPerClient: 1,
    });
    const clients = Math.max(1, Math.min(20, Math.ceil(inFlight / 10)));
    const result = await runH2load({
      binary: "/usr/bin/h2load",
      url: `http://127.0.0.1:${clientPort}/raftkv.v1.KV/${workload === "put" ? "Put" : "Get"}`,
      bodyFile,
      requests: Number(values.requests),
      clients,
      streamsPerClient: Math.max(1, Math.round(inFlight / clients)),
    });
    console.log(`h2load ${workload}: ${result.throughput.toFixed(0)} req/s, mean ${result.meanMs} ms`);
  } finally {
    await server.stop(15_000);
  }
  const file = readdirSync(profileDir).find((name) => name.endsWith(".cpuprofile"));
  if (file === undefined) throw new Error(`no .cpuprofile written in ${profileDir}; server log:\n${server.logTail()}`);
  const profileText = readFileSync(join(profileDir, file), "utf8");
  if (values["keep-profile"] !== undefined) writeFileSync(values["keep-profile"], profileText);
  const profile = JSON.parse(profileText) as CpuProfile;
  const text = profileMarkdown(`raftkv CPU profile: ${workload} at ${inFlight} in flight (h2load)`, summarizeProfile(profile));
  console.log(text);
  if (values.out !== undefined) writeFileSync(values.out, text);
  removeDir(workDir);
}

await main();

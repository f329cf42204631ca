import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { RangeRequestSchema } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { type LargeRangeNode, largeRange, startLargeRangeNode } from "../server/large-range-node.ts";
import { removeDir, tempDir } from "../support/temp-dir.ts";
import { parseNghttpFrames } from "./nghttp-frames.ts";

/*
 * nghttp2's own clients (Debian's nghttp2-client) against one node: 8, 32 and
 * 100 concurrent Range answers of about 3 MB each on ONE connection, over the
 * gRPC fast path, Connect, gRPC-Web and REST. nghttp (64 KiB windows, so flow
 * control throttles every stream) shows each stream's frames: HEADERS, then
 * all the DATA, then trailers where the protocol has them, nothing after
 * END_STREAM; h2load (large windows) counts completed answers. Bun's
 * node:http2 used to send END_STREAM or trailers before the data and never
 * the HEADERS of later streams (src/server/http2-write-pacer.ts).
 */

let server: LargeRangeNode;
let dir: string;
const files = { grpc: "", connectJson: "" };

beforeAll(async () => {
  server = await startLargeRangeNode();
  dir = tempDir("nghttp");
  const message = toBinary(RangeRequestSchema, create(RangeRequestSchema, { prefix: new TextEncoder().encode(largeRange.prefix), limit: largeRange.keys }));
  const framed = Buffer.alloc(5 + message.length);
  framed.writeUInt32BE(message.length, 1);
  framed.set(message, 5);
  files.grpc = join(dir, "range.grpc");
  writeFileSync(files.grpc, framed);
  files.connectJson = join(dir, "range.json");
  writeFileSync(files.connectJson, JSON.stringify({ prefix: Buffer.from(largeRange.prefix).toString("base64"), limit: largeRange.keys }));
}, 60_000);

afterAll(async () => {
  await server.stop();
  removeDir(dir);
});

interface Protocol {
  readonly name: string;
  readonly path: string;
  /** nghttp/h2load arguments: request body and headers. */
  readonly args: () => string[];
  readonly contentType: RegExp;
  readonly trailers: boolean;
}

const protocols: readonly Protocol[] = [
  {
    name: "gRPC (fast path)",
    path: "/raftkv.v1.KV/Range",
    args: () => ["-d", files.grpc, "-H", "content-type: application/grpc", "-H", "te: trailers"],
    contentType: /^application\/grpc$/,
    trailers: true,
  },
  {
    name: "gRPC-Web",
    path: "/raftkv.v1.KV/Range",
    args: () => ["-d", files.grpc, "-H", "content-type: application/grpc-web+proto"],
    contentType: /^application\/grpc-web\+proto/,
    trailers: false,
  },
  {
    name: "Connect JSON",
    path: "/raftkv.v1.KV/Range",
    // Uncompressed: Connect gzips for clients that accept it, and the point is megabytes on the wire.
    args: () => ["-d", files.connectJson, "-H", "content-type: application/json", "-H", "accept-encoding: identity"],
    contentType: /^application\/json/,
    trailers: false,
  },
  {
    name: "REST",
    path: `/v1/kv/?prefix=${largeRange.prefix}&limit=${largeRange.keys}`,
    args: () => [],
    contentType: /^application\/json/,
    trailers: false,
  },
];

/** Bytes of keys and values in one answer; every encoding carries at least these. */
const answerBytes = largeRange.keys * largeRange.valueBytes;

async function run(command: string[], timeoutMs: number): Promise<string> {
  const child = Bun.spawn(command, { stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  try {
    const [stdout, stderr] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
    await child.exited;
    return stdout + stderr;
  } finally {
    clearTimeout(timer);
  }
}

describe.each([8, 32, 100])("%i concurrent Range answers of ~3 MB on one connection", (n) => {
  for (const protocol of protocols) {
    test(`${protocol.name}: nghttp sees headers, all the data, then trailers, per stream, in order`, async () => {
      const output = await run(["nghttp", "-v", "-n", "-m", String(n), ...protocol.args(), `http://${server.endpoint}${protocol.path}`], 120_000);
      const streams = [...parseNghttpFrames(output).values()];
      expect(streams.length).toBe(n);
      for (const s of streams) {
        expect({ stream: s.id, problems: s.problems, ended: s.ended }).toEqual({ stream: s.id, problems: [], ended: true });
        expect(s.headers?.[":status"]).toBe("200");
        expect(s.headers?.["content-type"]).toMatch(protocol.contentType);
        expect(s.dataBytes).toBeGreaterThan(answerBytes);
        if (protocol.trailers) expect(s.trailers?.["grpc-status"]).toBe("0");
        else expect(s.trailers).toBeUndefined();
      }
    }, 150_000);

    test(`${protocol.name}: h2load completes every answer`, async () => {
      const output = await run(
        ["h2load", "-n", String(n), "-c", "1", "-m", String(n), ...protocol.args(), `http://${server.endpoint}${protocol.path}`],
        120_000,
      );
      expect(output).toContain(`requests: ${n} total, ${n} started, ${n} done, ${n} succeeded, 0 failed, 0 errored, 0 timeout`);
    }, 150_000);
  }
});

/**
 * No-op RPC per protocol (a micro-benchmark, not a test):
 *   bun bench/rpc-protocols.bench.ts
 *
 * One call at a time, client and server in this process, against
 * Diagnostics/Echo (touches nothing but the protocol stack) through each
 * protocol the client port speaks, plus REST (`GET /healthz`, the plain HTTP
 * route with no RPC machinery). Client and server share the CPU, so read the
 * figures relative to each other: they locate a regression to a protocol
 * path. Throughput under concurrency is bench/client-server.bench.sh (h2load).
 */
import { createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { bench, run } from "mitata";
import { Diagnostics } from "../src/gen/raftkv/v1/diagnostics_pb.ts";
import { ClientServer } from "../src/server/client-server.ts";
import { createDiagnosticsService } from "../src/server/diagnostics-service.ts";

const server = await ClientServer.start({
  host: "127.0.0.1",
  port: 0,
  services: [{ service: Diagnostics, impl: createDiagnosticsService() }],
});
const baseUrl = `http://127.0.0.1:${server.port}`;
const payload = new Uint8Array(32);

const transports: ReadonlyArray<readonly [string, Transport]> = [
  ["gRPC over h2c (fast path)", createGrpcTransport({ baseUrl })],
  ["gRPC-Web over HTTP/1.1", createGrpcWebTransport({ baseUrl, httpVersion: "1.1" })],
  ["Connect JSON over HTTP/1.1", createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: false })],
  ["Connect binary over h2c", createConnectTransport({ baseUrl, httpVersion: "2" })],
];

for (const [name, transport] of transports) {
  const client = createClient(Diagnostics, transport);
  await client.echo({ payload }); // connect once before measuring
  bench(`Echo, ${name}`, async () => {
    await client.echo({ payload });
  });
}

bench("REST GET /healthz over HTTP/1.1 (fetch)", async () => {
  const res = await fetch(`${baseUrl}/healthz`);
  await res.arrayBuffer();
});

await run();
await server.close(1000);

/**
 * Starts a client server with only Diagnostics.Echo on the given port, for
 * bench/client-server.bench.sh. Usage: bun bench/rpc-echo-server.ts <port>
 * Stops on SIGINT/SIGTERM.
 */
import { Diagnostics } from "../src/gen/raftkv/v1/diagnostics_pb.ts";
import { ClientServer } from "../src/server/client-server.ts";
import { createDiagnosticsService } from "../src/server/diagnostics-service.ts";

const port = Number(process.argv[2] ?? "40051");
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  throw new Error(`port must be an integer in 0..65535, got ${JSON.stringify(process.argv[2])}`);
}
const server = await ClientServer.start({
  host: "127.0.0.1",
  port,
  services: [{ service: Diagnostics, impl: createDiagnosticsService() }],
});
process.stdout.write(`listening 127.0.0.1:${server.port}\n`);
const stop = (): void => {
  void server.close(1_000).then(() => process.exit(0));
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);

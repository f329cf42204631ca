import { Diagnostics } from "../../src/gen/raftkv/v1/diagnostics_pb.ts";
import { ClientServer, type ClientServerOptions } from "../../src/server/client-server.ts";
import { createEchoTestService } from "./echo-test-service.ts";

/** A client server on an ephemeral loopback port serving the Echo test double. */
export function startTestServer(overrides: Partial<ClientServerOptions> = {}, sleepEnds: string[] = []): Promise<ClientServer> {
  return ClientServer.start({
    host: "127.0.0.1",
    port: 0,
    services: [{ service: Diagnostics, impl: createEchoTestService(sleepEnds) }],
    maxRequestBytes: 64 * 1024,
    ...overrides,
  });
}

export function baseUrlOf(server: ClientServer): string {
  return `http://${server.host}:${server.port}`;
}

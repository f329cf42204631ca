import type { Transport } from "@connectrpc/connect";

/**
 * Builds the transport for one endpoint's base URL (`http://host:port`). The
 * caller picks the factory, so the client itself imports neither
 * @connectrpc/connect-node nor @connectrpc/connect-web and runs unchanged in
 * Node/Bun and in a browser.
 */
export type TransportFactory = (baseUrl: string) => Transport;

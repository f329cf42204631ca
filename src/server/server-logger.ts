/**
 * The few log calls the client server makes. Quiet by default: the server only
 * reports what an operator must see (handler failures hidden from clients,
 * listener errors), never per-request noise.
 */
export interface ServerLogger {
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

export const silentLogger: ServerLogger = {
  warn() {},
  error() {},
};

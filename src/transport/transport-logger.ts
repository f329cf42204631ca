export type TransportLogFields = Readonly<Record<string, unknown>>;

/** The log calls the transport makes; src/log/logger.ts's Logger satisfies it. */
export interface TransportLogger {
  debug(message: string, fields?: TransportLogFields): void;
  info(message: string, fields?: TransportLogFields): void;
  warn(message: string, fields?: TransportLogFields): void;
}

export const silentTransportLogger: TransportLogger = {
  debug() {},
  info() {},
  warn() {},
};

/** The log calls the security code makes; src/log/logger.ts's Logger fits. */
export interface SecurityLogger {
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

export const silentSecurityLogger: SecurityLogger = {
  info() {},
  warn() {},
  error() {},
};

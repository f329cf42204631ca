/**
 * Structured logs, quiet by default: one line per event, JSON or logfmt-ish
 * text, with context fields instead of interpolated strings.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFormat = "text" | "json";
export type LogFields = Readonly<Record<string, unknown>>;

const levelRank: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

export function parseLogLevel(text: string): LogLevel {
  switch (text) {
    case "debug":
    case "info":
    case "warn":
    case "error":
      return text;
    default:
      throw new Error(`log level must be debug, info, warn or error, got ${JSON.stringify(text)}`);
  }
}

export function parseLogFormat(text: string): LogFormat {
  switch (text) {
    case "text":
    case "json":
      return text;
    default:
      throw new Error(`log format must be text or json, got ${JSON.stringify(text)}`);
  }
}

export class Logger {
  constructor(
    private readonly level: LogLevel,
    private readonly format: LogFormat,
    private readonly fields: LogFields = {},
    private readonly write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  ) {}

  static silent(): Logger {
    return new Logger("error", "text", {}, () => {});
  }

  with(fields: LogFields): Logger {
    return new Logger(this.level, this.format, { ...this.fields, ...fields }, this.write);
  }

  debug(message: string, fields?: LogFields): void {
    this.log("debug", message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.log("info", message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.log("warn", message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.log("error", message, fields);
  }

  private log(level: LogLevel, message: string, fields: LogFields | undefined): void {
    if (levelRank[level] < levelRank[this.level]) return;
    // A field left undefined says nothing (and printed "error=undefined"): it is dropped.
    const all = Object.fromEntries(Object.entries({ ...this.fields, ...fields }).filter(([, value]) => value !== undefined));
    const time = new Date().toISOString();
    if (this.format === "json") {
      this.write(JSON.stringify({ time, level, msg: message, ...all }, jsonReplacer));
      return;
    }
    const parts = Object.entries(all).map(([k, v]) => `${k}=${formatValue(v)}`);
    this.write(`${time} ${level.toUpperCase()} ${message}${parts.length > 0 ? ` ${parts.join(" ")}` : ""}`);
  }
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) return { name: value.name, message: value.message, cause: value.cause };
  return value;
}

function formatValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.cause === undefined ? value.message : `${value.message}: ${String(value.cause)}`);
  if (typeof value === "string") return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  return String(value);
}

/**
 * Errors the log store raises for reads the Raft core can recover from: it
 * asked for entries that were compacted away (send a snapshot instead) or that
 * do not exist yet. Anything else the store throws is a programming error or a
 * disk failure.
 */
export class LogCompactedError extends Error {
  override readonly name = "LogCompactedError";
  constructor(
    readonly requestedIndex: number,
    readonly firstIndex: number,
  ) {
    super(`log index ${requestedIndex} is compacted; the first available index is ${firstIndex}`);
  }
}

export class LogUnavailableError extends Error {
  override readonly name = "LogUnavailableError";
  constructor(
    readonly requestedIndex: number,
    readonly lastIndex: number,
  ) {
    super(`log index ${requestedIndex} is not available; the last index is ${lastIndex}`);
  }
}

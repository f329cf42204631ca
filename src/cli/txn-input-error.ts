/** A mistake in `raftkv txn` input, located by 1-based line and column. */
export class TxnInputError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    readonly problem: string,
  ) {
    super(`txn input line ${line}, column ${column}: ${problem}`);
    this.name = "TxnInputError";
  }
}

import type { RefusalCode } from "./kv-types.ts";

/**
 * A deterministic reason not to apply a command (every replica reaches the
 * same verdict from the same state). Thrown inside the entry's savepoint so
 * its partial writes roll back; the applier turns it into an "error" result.
 * Anything else thrown while applying is an I/O or programming failure and
 * aborts the whole batch.
 */
export class CommandRefusal extends Error {
  override readonly name = "CommandRefusal";

  constructor(
    message: string,
    readonly code?: RefusalCode,
  ) {
    super(message);
  }
}

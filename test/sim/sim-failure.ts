/** An invariant violation found by the simulator. */
export class SimFailure extends Error {
  constructor(
    message: string,
    readonly now: number,
  ) {
    super(`t=${now}: ${message}`);
    this.name = "SimFailure";
  }
}

/**
 * Thrown where a simulated node crashes (a failpoint, a fenced store):
 * unwinds whatever the dead node was doing. Never a test failure in itself.
 */
export class SimCrash extends Error {
  constructor(
    readonly node: string,
    readonly where: string,
  ) {
    super(`${node} crashed at ${where}`);
    this.name = "SimCrash";
  }
}

/**
 * Stores of one node incarnation: once it crashes, anything its code still
 * runs (a promise continuation, a timer already taken) touches nothing
 * durable. Every store call checks its fence first.
 */
export class Fence {
  private down: string | undefined;

  constructor(readonly node: string) {}

  check(where: string): void {
    if (this.down !== undefined) throw new SimCrash(this.node, `${where} after ${this.down}`);
  }

  get isDown(): boolean {
    return this.down !== undefined;
  }

  close(reason: string): void {
    this.down ??= reason;
  }
}

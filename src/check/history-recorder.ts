import type { Operation } from "./operation.ts";

interface OpenCall<I> {
  readonly clientId: number;
  readonly input: I;
  readonly call: number;
}

type Completion<O> = { readonly kind: "ok"; readonly output: O; readonly at: number } | { readonly kind: "fail" } | { readonly kind: "info" };

/**
 * Records client operations as they happen (Jepsen's invoke / ok / fail /
 * info) and turns them into the checker's operations:
 * - ok: completed with an output;
 * - fail: definitely did not take effect (the server said so), left out;
 * - info, or no completion at all by the end: ambiguous, may or may not
 *   have taken effect.
 * Recording "fail" for a timeout would make the checker unsound: only use it
 * when the error proves the operation was not applied.
 */
export class HistoryRecorder<I, O> {
  private readonly calls: OpenCall<I>[] = [];
  private readonly completions: (Completion<O> | undefined)[] = [];

  /** Records an invocation; returns the id to complete it with. */
  invoke(clientId: number, input: I, at: number): number {
    this.calls.push({ clientId, input, call: at });
    this.completions.push(undefined);
    return this.calls.length - 1;
  }

  ok(id: number, output: O, at: number): void {
    this.complete(id, { kind: "ok", output, at });
  }

  fail(id: number): void {
    this.complete(id, { kind: "fail" });
  }

  info(id: number): void {
    this.complete(id, { kind: "info" });
  }

  /** Operations recorded so far, in invocation order; still-open calls count as ambiguous. */
  operations(): Operation<I, O>[] {
    const operations: Operation<I, O>[] = [];
    this.calls.forEach((call, id) => {
      const completion = this.completions[id];
      switch (completion?.kind) {
        case "ok":
          operations.push({ ...call, output: completion.output, return: completion.at });
          break;
        case "fail":
          break;
        case "info":
        case undefined:
          operations.push({ ...call, output: undefined, return: Number.POSITIVE_INFINITY });
          break;
        default: {
          const unreachable: never = completion;
          throw new Error(`unknown completion ${JSON.stringify(unreachable)}`);
        }
      }
    });
    return operations;
  }

  private complete(id: number, completion: Completion<O>): void {
    const call = this.calls[id];
    if (call === undefined) throw new Error(`no invocation with id ${id} (recorded: ${this.calls.length})`);
    if (this.completions[id] !== undefined) {
      throw new Error(`invocation ${id} of client ${call.clientId} completed twice`);
    }
    if (completion.kind === "ok" && completion.at < call.call) {
      throw new Error(`invocation ${id} of client ${call.clientId} completes at ${completion.at}, before its call at ${call.call}`);
    }
    this.completions[id] = completion;
  }
}

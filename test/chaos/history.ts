import type { Operation } from "../../src/check/operation.ts";
import { classifyFailure } from "./outcome.ts";

/** One line of a recorded history, Jepsen-style: an invocation, then at most one completion. */
export type HistoryEvent<I, O> =
  | { readonly type: "invoke"; readonly op: number; readonly process: number; readonly time: number; readonly input: I }
  | { readonly type: "ok"; readonly op: number; readonly time: number; readonly output: O }
  | { readonly type: "fail"; readonly op: number; readonly time: number; readonly error: string }
  | { readonly type: "info"; readonly op: number; readonly time: number; readonly error: string };

export interface OutcomeCounts {
  ok: number;
  fail: number;
  info: number;
}

/** One recorded operation after pairing its invocation with its completion. */
export interface RecordedOp<I, O> {
  readonly op: number;
  readonly process: number;
  readonly input: I;
  readonly call: number;
  readonly outcome: "ok" | "fail" | "info" | "pending";
  readonly output: O | undefined;
  readonly return: number;
}

/**
 * A history of client operations with real timestamps (performance.now, ms).
 * A process runs one operation at a time; after an ambiguous (info)
 * operation the client continues as a new process, because the old one may
 * still be "in flight" forever as far as the checker is concerned.
 */
export class History<I, O> {
  readonly events: HistoryEvent<I, O>[] = [];
  private nextOp = 0;
  private nextProcess = 0;

  newProcess(): number {
    return this.nextProcess++;
  }

  invoke(process: number, input: I): number {
    const op = this.nextOp++;
    this.events.push({ type: "invoke", op, process, time: performance.now(), input });
    return op;
  }

  ok(op: number, output: O): void {
    this.events.push({ type: "ok", op, time: performance.now(), output });
  }

  /** Records a thrown error as fail or info; returns which. */
  failed(op: number, error: unknown): "fail" | "info" {
    const outcome = classifyFailure(error);
    this.events.push({ type: outcome.kind, op, time: performance.now(), error: outcome.reason });
    return outcome.kind;
  }

  /** Runs `call` as one operation of `process` and records its outcome. */
  async run(process: number, input: I, call: () => Promise<O>): Promise<"ok" | "fail" | "info"> {
    const op = this.invoke(process, input);
    try {
      this.ok(op, await call());
      return "ok";
    } catch (error) {
      return this.failed(op, error);
    }
  }

  counts(): OutcomeCounts {
    const counts: OutcomeCounts = { ok: 0, fail: 0, info: 0 };
    for (const e of this.events) {
      if (e.type !== "invoke") counts[e.type]++;
    }
    return counts;
  }

  /** Invocations paired with completions; an operation never completed is "pending". */
  recorded(): RecordedOp<I, O>[] {
    const byOp = new Map<number, RecordedOp<I, O>>();
    for (const e of this.events) {
      switch (e.type) {
        case "invoke":
          byOp.set(e.op, {
            op: e.op,
            process: e.process,
            input: e.input,
            call: e.time,
            outcome: "pending",
            output: undefined,
            return: Number.POSITIVE_INFINITY,
          });
          break;
        case "ok":
        case "fail":
        case "info": {
          const invoked = byOp.get(e.op);
          if (invoked === undefined) throw new Error(`history: completion of op ${e.op} without an invocation`);
          byOp.set(e.op, {
            ...invoked,
            outcome: e.type,
            output: e.type === "ok" ? e.output : undefined,
            return: e.type === "info" ? Number.POSITIVE_INFINITY : e.time,
          });
          break;
        }
        default: {
          const unreachable: never = e;
          throw new Error(`unknown history event ${JSON.stringify(unreachable)}`);
        }
      }
    }
    return [...byOp.values()];
  }

  /**
   * The checker's view: failed operations did not happen and are dropped;
   * ambiguous (info or never completed) ones keep output undefined and
   * return +Infinity, except those `dropWhenAmbiguous` says constrain nothing
   * (reads).
   */
  toOperations(dropWhenAmbiguous: (input: I) => boolean): Operation<I, O>[] {
    const ops: Operation<I, O>[] = [];
    for (const r of this.recorded()) {
      switch (r.outcome) {
        case "fail":
          break;
        case "ok":
          ops.push({ clientId: r.process, input: r.input, call: r.call, output: r.output, return: r.return });
          break;
        case "info":
        case "pending":
          if (!dropWhenAmbiguous(r.input)) ops.push({ clientId: r.process, input: r.input, call: r.call, output: undefined, return: Number.POSITIVE_INFINITY });
          break;
        default: {
          const unreachable: never = r.outcome;
          throw new Error(`unknown outcome ${String(unreachable)}`);
        }
      }
    }
    return ops;
  }
}

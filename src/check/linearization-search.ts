import { EntryList } from "./entry-list.ts";
import { LinearizedSet } from "./linearized-set.ts";
import type { Model } from "./model.ts";
import type { Operation } from "./operation.ts";
import { VisitedCache } from "./visited-cache.ts";

export type SearchStatus = "linearizable" | "illegal" | "running";

/** The deepest point the search reached, kept to explain an illegal history. */
export interface DeepestAttempt<S, I, O> {
  /** Operations in linearization order. */
  readonly prefix: readonly Operation<I, O>[];
  /** State of the model after `prefix`. */
  readonly state: S;
  /** The completed operation that could not be placed next, if any. */
  readonly stuck: Operation<I, O> | undefined;
}

/**
 * One linearization on the current search path. Frames form a parent-linked
 * list so the deepest path can be kept in O(1) when the search backtracks
 * away from it.
 */
interface Frame<S> {
  readonly parent: Frame<S> | undefined;
  readonly depth: number;
  readonly op: number;
  readonly stateBefore: S;
  /** Placed without alternatives (a legal read-only operation): backtracking passes straight through it. */
  readonly forced: boolean;
}

/**
 * Depth-first search for a linearization of one (partition's) history, in
 * the manner of Wing & Gong with Lowe's memoization (as in Porcupine).
 *
 * Walking the event list from the front: at a call event, try to linearize
 * that operation now (the model must accept its output); at a return event,
 * the operation it ends has not been linearized on this path, so no order
 * extending the path can be valid: backtrack. The search succeeds once every
 * operation with a known output is linearized; ambiguous operations left over
 * are the ones that never took effect.
 *
 * With the model's `isReadOnly` hint, a legal read-only candidate is placed
 * at once, without branching: moving a state-preserving operation earlier,
 * to where it is already legal, leaves every other operation's view intact,
 * so some linearization (if any exists) places it there. This is what keeps
 * a hot key with many concurrent readers from exploring every interleaving.
 *
 * The search is resumable (`run` takes a step budget) so a caller can share
 * one deadline fairly across many partitions.
 */
export class LinearizationSearch<S, I, O> {
  /** Completed operations then ambiguous ones, each in call order: the numbering LinearizedSet needs. */
  private readonly ops: readonly Operation<I, O>[];
  private readonly events: EntryList;
  private readonly linearized: LinearizedSet;
  private readonly visited = new VisitedCache();
  private top: Frame<S> | undefined = undefined;
  private state: S;
  private cursor: number;
  /** True on entering a configuration, until its legal read-only candidates have been looked for. */
  private entering = true;
  /** 1 for operations the model says are read-only. */
  private readonly readOnly: Uint8Array;
  private readonly hasReadOnly: boolean;
  private remainingDefinite: number;
  private status: SearchStatus = "running";
  private deepestFrame: Frame<S> | undefined = undefined;
  private deepestState: S;
  private deepestStuck: number | undefined = undefined;

  constructor(
    private readonly model: Model<S, I, O>,
    history: readonly Operation<I, O>[],
  ) {
    const byCall = (a: Operation<I, O>, b: Operation<I, O>): number => a.call - b.call;
    const definite = history.filter((op) => op.output !== undefined).sort(byCall);
    const ambiguous = history.filter((op) => op.output === undefined).sort(byCall);
    this.ops = [...definite, ...ambiguous];
    this.events = new EntryList(this.ops);
    this.linearized = new LinearizedSet(this.ops.length, definite.length);
    this.remainingDefinite = definite.length;
    this.readOnly = Uint8Array.from(this.ops, (op) => (model.isReadOnly?.(op.input, op.output) ? 1 : 0));
    this.hasReadOnly = this.readOnly.includes(1);
    this.state = model.init();
    this.deepestState = this.state;
    this.cursor = this.events.next[this.events.head] ?? this.events.tail;
    if (this.remainingDefinite === 0) this.status = "linearizable";
  }

  get result(): SearchStatus {
    return this.status;
  }

  get deepestAttempt(): DeepestAttempt<S, I, O> {
    const prefix: Operation<I, O>[] = [];
    for (let frame = this.deepestFrame; frame !== undefined; frame = frame.parent) prefix.push(this.opAt(frame.op));
    prefix.reverse();
    const stuck = this.deepestStuck === undefined ? undefined : this.opAt(this.deepestStuck);
    return { prefix, state: this.deepestState, stuck };
  }

  /** Advances the search by at most `maxSteps` event visits. */
  run(maxSteps: number): SearchStatus {
    if (this.status !== "running") return this.status;
    const { events, linearized, visited, model } = this;
    const { next, isCall, opOf } = events;
    const tail = events.tail;
    let cursor = this.cursor;
    let state = this.state;
    for (let steps = 0; steps < maxSteps; steps++) {
      if (this.entering) {
        this.entering = false;
        cursor = next[events.head] ?? tail;
        const placed = this.hasReadOnly ? this.placeReadOnly(state) : undefined;
        if (placed !== undefined) {
          const { opIndex, after } = placed;
          linearized.add(opIndex);
          if (!visited.addIfAbsent(linearized, model.key(after))) {
            // The placement was without loss of generality, so this configuration is a dead end.
            linearized.remove(opIndex);
            cursor = this.firstPendingReturn();
            continue;
          }
          this.top = { parent: this.top, depth: (this.top?.depth ?? 0) + 1, op: opIndex, stateBefore: state, forced: true };
          state = after;
          events.lift(opIndex);
          if (this.opAt(opIndex).output !== undefined && --this.remainingDefinite === 0) {
            this.status = "linearizable";
            break;
          }
          this.entering = true;
          continue;
        }
      }
      if (cursor !== tail && isCall[cursor] === 1) {
        const opIndex = opOf[cursor] ?? -1;
        const op = this.opAt(opIndex);
        const stepped = model.step(state, op.input, op.output);
        if (stepped.ok) {
          linearized.add(opIndex);
          if (visited.addIfAbsent(linearized, model.key(stepped.next))) {
            this.top = { parent: this.top, depth: (this.top?.depth ?? 0) + 1, op: opIndex, stateBefore: state, forced: false };
            state = stepped.next;
            events.lift(opIndex);
            if (op.output !== undefined && --this.remainingDefinite === 0) {
              this.status = "linearizable";
              break;
            }
            this.entering = true;
            continue;
          }
          linearized.remove(opIndex);
        }
        cursor = next[cursor] ?? tail;
        continue;
      }
      // A return event: its operation cannot be placed on this path.
      this.noteDeadEnd(cursor, state);
      const frame = this.top;
      if (frame === undefined) {
        this.status = "illegal";
        break;
      }
      this.top = frame.parent;
      events.unlift(frame.op);
      linearized.remove(frame.op);
      if (this.opAt(frame.op).output !== undefined) this.remainingDefinite++;
      state = frame.stateBefore;
      // After a forced placement there is no alternative to try: the configuration it was forced in is dead too.
      cursor = frame.forced ? this.firstPendingReturn() : (next[events.callOf[frame.op] ?? tail] ?? tail);
    }
    this.cursor = cursor;
    this.state = state;
    return this.status;
  }

  /** The first legal read-only candidate in the current configuration, with the state after it. */
  private placeReadOnly(state: S): { readonly opIndex: number; readonly after: S } | undefined {
    const { next, isCall, opOf, head, tail } = this.events;
    for (let event = next[head] ?? tail; event !== tail && isCall[event] === 1; event = next[event] ?? tail) {
      const opIndex = opOf[event] ?? -1;
      if (this.readOnly[opIndex] !== 1) continue;
      const op = this.opAt(opIndex);
      const stepped = this.model.step(state, op.input, op.output);
      if (stepped.ok) return { opIndex, after: stepped.next };
    }
    return undefined;
  }

  /** The first return event in the list: where the walk of a dead configuration ends. */
  private firstPendingReturn(): number {
    const { next, isCall, head, tail } = this.events;
    let event = next[head] ?? tail;
    while (event !== tail && isCall[event] === 1) event = next[event] ?? tail;
    return event;
  }

  private noteDeadEnd(cursor: number, state: S): void {
    const depth = this.top?.depth ?? 0;
    const deepest = this.deepestFrame?.depth ?? 0;
    if (depth < deepest || (depth === deepest && this.deepestStuck !== undefined)) return;
    this.deepestFrame = this.top;
    this.deepestState = state;
    this.deepestStuck = cursor === this.events.tail ? undefined : this.events.opOf[cursor];
  }

  private opAt(opIndex: number): Operation<I, O> {
    const op = this.ops[opIndex];
    if (op === undefined) throw new Error(`no operation at index ${opIndex} of ${this.ops.length}`);
    return op;
  }
}

import type { Operation } from "./operation.ts";

/**
 * The history as a doubly linked list of call and return events in time
 * order, from which linearized operations are unlinked ("lifted") and
 * relinked on backtracking in O(1), as in Lowe's and Porcupine's search.
 *
 * Ambiguous operations (no output) get no return event: nothing forces them
 * to be linearized, which is exactly "may or may not have taken effect".
 *
 * At equal times a call sorts before a return: the clock cannot order them,
 * so they are treated as concurrent (never a false alarm).
 */
export class EntryList {
  /** Sentinel before the first event. */
  readonly head: number;
  /** Sentinel after the last event. */
  readonly tail: number;
  readonly next: Int32Array;
  readonly prev: Int32Array;
  /** The operation (index into the searched ops) each event belongs to. */
  readonly opOf: Int32Array;
  /** 1 for a call event, 0 for a return event. */
  readonly isCall: Uint8Array;
  /** For each operation: its call event, and its return event or -1 if ambiguous. */
  readonly callOf: Int32Array;
  readonly returnOf: Int32Array;

  constructor(ops: readonly Operation<unknown, unknown>[]) {
    const events: { time: number; isCall: boolean; op: number }[] = [];
    ops.forEach((op, index) => {
      events.push({ time: op.call, isCall: true, op: index });
      if (op.output !== undefined) events.push({ time: op.return, isCall: false, op: index });
    });
    events.sort((a, b) => {
      if (a.time !== b.time) return a.time < b.time ? -1 : 1;
      if (a.isCall !== b.isCall) return a.isCall ? -1 : 1;
      return a.op - b.op;
    });

    const count = events.length;
    this.head = count;
    this.tail = count + 1;
    this.next = new Int32Array(count + 2);
    this.prev = new Int32Array(count + 2);
    this.opOf = new Int32Array(count);
    this.isCall = new Uint8Array(count);
    this.callOf = new Int32Array(ops.length);
    this.returnOf = new Int32Array(ops.length).fill(-1);
    events.forEach((event, index) => {
      this.opOf[index] = event.op;
      this.isCall[index] = event.isCall ? 1 : 0;
      if (event.isCall) this.callOf[event.op] = index;
      else this.returnOf[event.op] = index;
    });
    let previous = this.head;
    for (let index = 0; index < count; index++) {
      this.next[previous] = index;
      this.prev[index] = previous;
      previous = index;
    }
    this.next[previous] = this.tail;
    this.prev[this.tail] = previous;
    this.next[this.tail] = this.tail;
    this.prev[this.head] = this.head;
  }

  /** Unlinks an operation's call and return events. */
  lift(op: number): void {
    this.unlink(this.callOf[op] ?? -1);
    const ret = this.returnOf[op] ?? -1;
    if (ret >= 0) this.unlink(ret);
  }

  /** Exact inverse of `lift`; must be called in reverse lift order. */
  unlift(op: number): void {
    const ret = this.returnOf[op] ?? -1;
    if (ret >= 0) this.relink(ret);
    this.relink(this.callOf[op] ?? -1);
  }

  private unlink(event: number): void {
    const before = this.prev[event] ?? this.head;
    const after = this.next[event] ?? this.tail;
    this.next[before] = after;
    this.prev[after] = before;
  }

  private relink(event: number): void {
    const before = this.prev[event] ?? this.head;
    const after = this.next[event] ?? this.tail;
    this.next[before] = event;
    this.prev[after] = event;
  }
}

/** A min-heap of timed items, ordered by (time, insertion sequence) so replays are exact. */
interface Slot<T> {
  readonly time: number;
  readonly seq: number;
  readonly item: T;
}

export class EventQueue<T> {
  private readonly heap: Slot<T>[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(time: number, item: T): void {
    const heap = this.heap;
    heap.push({ time, seq: this.seq++, item });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(heap[i] as Slot<T>, heap[parent] as Slot<T>)) break;
      swap(heap, i, parent);
      i = parent;
    }
  }

  /** The time of the earliest item, undefined when empty. */
  peekTime(): number | undefined {
    return this.heap[0]?.time;
  }

  /** Removes and returns every item due at or before `time`, in order. */
  popDue(time: number): T[] {
    const out: T[] = [];
    while (this.heap.length > 0 && (this.heap[0] as Slot<T>).time <= time) out.push(this.pop());
    return out;
  }

  private pop(): T {
    const heap = this.heap;
    const top = heap[0] as Slot<T>;
    const last = heap.pop() as Slot<T>;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l] as Slot<T>, heap[m] as Slot<T>)) m = l;
        if (r < heap.length && less(heap[r] as Slot<T>, heap[m] as Slot<T>)) m = r;
        if (m === i) break;
        swap(heap, i, m);
        i = m;
      }
    }
    return top.item;
  }
}

function less<T>(a: Slot<T>, b: Slot<T>): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

function swap<T>(heap: Slot<T>[], i: number, j: number): void {
  const t = heap[i] as Slot<T>;
  heap[i] = heap[j] as Slot<T>;
  heap[j] = t;
}

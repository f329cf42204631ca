/**
 * The last index of each AppendEntries sent but not yet acknowledged to one
 * follower; bounds the pipeline so a slow follower cannot make the leader
 * queue unbounded messages.
 */
export class Inflights {
  private readonly lastIndexes: number[] = [];
  private readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  add(lastIndex: number): void {
    this.lastIndexes.push(lastIndex);
  }

  /** Acknowledgement up to index frees every message ending at or below it. */
  freeLE(index: number): void {
    let k = 0;
    while (k < this.lastIndexes.length && (this.lastIndexes[k] as number) <= index) k++;
    if (k > 0) this.lastIndexes.splice(0, k);
  }

  freeFirstOne(): void {
    this.lastIndexes.shift();
  }

  full(): boolean {
    return this.lastIndexes.length >= this.capacity;
  }

  count(): number {
    return this.lastIndexes.length;
  }

  reset(): void {
    this.lastIndexes.length = 0;
  }
}

import { useEffect, useState } from "preact/hooks";

/**
 * A value that views share and follow (the cluster snapshot, the connection
 * state, the token): one owner sets it, every subscriber re-renders.
 */
export class Store<T> {
  private readonly listeners = new Set<(value: T) => void>();

  constructor(private value: T) {}

  get(): T {
    return this.value;
  }

  set(value: T): void {
    this.value = value;
    for (const listener of [...this.listeners]) listener(value);
  }

  update(change: (value: T) => T): void {
    this.set(change(this.value));
  }

  subscribe(listener: (value: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** The store's current value; the component re-renders when it changes. */
export function useStore<T>(store: Store<T>): T {
  // Boxed: a stored value that is a function must not be taken for a state updater.
  const [box, setBox] = useState<{ readonly value: T }>({ value: store.get() });
  useEffect(() => {
    setBox({ value: store.get() });
    return store.subscribe((value) => setBox({ value }));
  }, [store]);
  return box.value;
}

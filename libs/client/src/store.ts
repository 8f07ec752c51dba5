/**
 * State a feed exposes the way React's useSyncExternalStore (and anything else) reads it: `getSnapshot()` returns
 * the same object until something changes, and a new, frozen one after; `subscribe` is told after each change.
 */
export class Store<S extends object> {
  private state: S;
  private readonly listeners = new Set<() => void>();

  constructor(initial: S) {
    this.state = Object.freeze({ ...initial });
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  };

  readonly getSnapshot = (): S => this.state;

  /** Replaces the named fields; nothing happens (and nobody is told) when none of them changes. */
  protected update(patch: Partial<S>): void {
    const keys = Object.keys(patch) as Array<keyof S>;
    if (keys.every((k) => Object.is(this.state[k], patch[k]))) return;
    this.state = Object.freeze({ ...this.state, ...patch });
    for (const listener of [...this.listeners]) listener();
  }
}

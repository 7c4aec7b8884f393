// One shared, immutable value per distinct content, held weakly: the table
// maps a content key (a string: the value's bytes, say) to a WeakRef, so a
// value nothing else holds any more is collected, and its entry goes with
// it (FinalizationRegistry). Routes that carry equal attribute sets end up
// holding the same object (docs/memory.md).

export class Interner<T extends object> {
  private readonly table = new Map<string, WeakRef<T>>();
  private readonly registry = new FinalizationRegistry<string>((key) => {
    // The entry may already hold a newer value for the same key.
    const ref = this.table.get(key);
    if (ref !== undefined && ref.deref() === undefined) this.table.delete(key);
  });

  /** The value held for `key`, or `value` (made the one held) when there is none. */
  intern(key: string, value: T): T {
    const held = this.table.get(key)?.deref();
    if (held !== undefined) return held;
    this.table.set(key, new WeakRef(value));
    this.registry.register(value, key);
    return value;
  }

  /** Distinct values held (entries of collected values may linger until their finalizer runs). */
  get size(): number {
    return this.table.size;
  }
}

// A sequence lock over one Int32 cell of a SharedArrayBuffer: one writer
// thread, any number of reader threads, no reader ever blocks the writer.
//
// The writer makes the count odd before it changes the protected words and
// even again after; a reader notes the count before reading, and its read is
// good only if the count was even then and is unchanged after. Atomics.load
// and Atomics.store are sequentially consistent (ECMAScript §29 "Memory
// Model"), so every plain read a reader makes between its two loads is
// ordered between them, and the writer's plain stores between its two stores:
// a reader that sees the same even count twice saw no store of the write in
// between. Aligned Int32 cells never tear.

/** Words of the lock in its Int32Array: the count. */
export const SEQLOCK_WORDS = 1;

export class SeqLock {
  private depth = 0;

  /** `cells[index]` is the count; the writer and every reader pass views of the same buffer. */
  constructor(
    private readonly cells: Int32Array,
    private readonly index = 0,
  ) {}

  /** Writer: a write begins (nested begins count once; only the outermost makes the count odd). */
  writeBegin(): void {
    if (this.depth++ === 0) Atomics.add(this.cells, this.index, 1);
  }

  /** Writer: the write ends (the outermost end makes the count even again). */
  writeEnd(): void {
    if (--this.depth === 0) Atomics.add(this.cells, this.index, 1);
  }

  /** Reader: the count to pass to readValid(); odd means a write is in progress (read, then retry). */
  readBegin(): number {
    return Atomics.load(this.cells, this.index);
  }

  /** Reader: whether what was read since readBegin() returned `start` is one consistent state. */
  readValid(start: number): boolean {
    return (start & 1) === 0 && Atomics.load(this.cells, this.index) === start;
  }
}

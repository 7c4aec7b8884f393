// A read UPDATE (update-reader.ts) applied in parts of at most `budget`
// routes (work-slices.ts): its withdrawals first, then its announcements, in
// the order read (RFC 4271 §3.1: an UPDATE may withdraw and announce the same
// key; the announcement is the newer state). `done` runs once it is all
// applied (prefix limits, End-of-RIB: they need the whole UPDATE).

import type { ReadUpdateResult, WithdrawnRoute } from './update-reader.js';
import type { Route } from './route.js';
import type { SlicedJob } from './work-slices.js';

export type UpdatePart = Pick<ReadUpdateResult, 'announced' | 'withdrawn'>;

export class UpdateJob implements SlicedJob {
  private w = 0;
  private a = 0;
  private finished = false;

  constructor(
    private readonly read: UpdatePart,
    private readonly apply: (part: UpdatePart) => void,
    private readonly done: () => void = () => {},
  ) {}

  get remaining(): number {
    if (this.finished) return 0;
    // At least 1 until done() ran (an End-of-RIB carries no route).
    return Math.max(1, this.read.withdrawn.length - this.w + this.read.announced.length - this.a);
  }

  run(budget: number): number {
    const { withdrawn, announced } = this.read;
    let used = 0;
    if (this.w < withdrawn.length) {
      const end = Math.min(withdrawn.length, this.w + budget);
      const part: WithdrawnRoute[] = this.w === 0 && end === withdrawn.length ? withdrawn : withdrawn.slice(this.w, end);
      this.apply({ withdrawn: part, announced: [] });
      used += end - this.w;
      this.w = end;
    }
    if (used < budget && this.a < announced.length) {
      const end = Math.min(announced.length, this.a + budget - used);
      const part: Route[] = this.a === 0 && end === announced.length ? announced : announced.slice(this.a, end);
      this.apply({ withdrawn: [], announced: part });
      used += end - this.a;
      this.a = end;
    }
    if (this.w >= withdrawn.length && this.a >= announced.length) {
      this.finished = true;
      this.done();
    }
    return Math.max(1, used);
  }
}

// One log line per interval for an event anyone on the network can cause
// (a connection from an address that is not a neighbor): the first event of
// an interval is logged as it happens, the others are only counted, and the
// count is logged once when the interval ends; while the events go on, one
// summary per interval. 500 connections make two lines, not 500. Pure: the
// caller owns the timer.

export class RepeatedEventLog {
  private windowOpen = false;
  private suppressed = 0;
  private lastDetail = '';

  constructor(readonly intervalMs: number) {}

  /**
   * An event happened. 'log': log it now and call flush() after intervalMs;
   * 'counted': it is in the next summary.
   */
  note(detail: string): 'log' | 'counted' {
    if (!this.windowOpen) {
      this.windowOpen = true;
      return 'log';
    }
    this.suppressed++;
    this.lastDetail = detail;
    return 'counted';
  }

  /**
   * The interval is over: the events counted in it and the last one's
   * detail. With a count, log it and call flush() again after intervalMs
   * (the next interval is running); with 0 the next event is logged at once.
   */
  flush(): { count: number; last: string } {
    const out = { count: this.suppressed, last: this.lastDetail };
    this.windowOpen = out.count > 0;
    this.suppressed = 0;
    this.lastDetail = '';
    return out;
  }

  /** An interval is running (a flush is due). */
  get pending(): boolean {
    return this.windowOpen;
  }
}

/**
 * A RepeatedEventLog with its timer: report() writes the line or counts it;
 * the summaries come from an unref'd timer (never keeping the process
 * alive). close() writes what is still counted.
 */
export class ThrottledLog {
  private readonly events: RepeatedEventLog;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    intervalMs: number,
    private readonly write: (text: string) => void,
    /** The summary line: `count` more events like `last` in the last `seconds`. */
    private readonly summary: (count: number, last: string, seconds: number) => string,
  ) {
    this.events = new RepeatedEventLog(intervalMs);
  }

  report(text: string): void {
    if (this.events.note(text) === 'counted') return;
    this.write(text);
    this.arm();
  }

  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.flush();
  }

  private arm(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.flush()) this.arm();
    }, this.events.intervalMs);
    this.timer.unref();
  }

  private flush(): boolean {
    const { count, last } = this.events.flush();
    if (count > 0) this.write(this.summary(count, last, Math.round(this.events.intervalMs / 1000)));
    return count > 0;
  }
}

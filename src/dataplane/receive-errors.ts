// What the dataplane does when a receive call fails (issue 9 item 16). The
// addon throws the errno of a receive error other than EAGAIN (ENETDOWN
// from an AF_PACKET socket whose interface went down under traffic, EINVAL
// for a frame the kernel cannot describe with a virtio_net_hdr, ...); thrown
// out of a libuv poll callback it would end the process. Instead each
// handle keeps one of these: the failure is counted by the caller, logged
// at most once per interval (with how many were not), and a handle that is
// gone or keeps failing is reopened after a backoff.

/** At most one log line per handle per this many milliseconds. */
export const RX_ERROR_LOG_INTERVAL_MS = 10_000;
/** Failures in a row (no successful poll between) before the handle is reopened. */
export const RX_ERRORS_BEFORE_REOPEN = 3;
/** First wait before a reopen; doubled after each failed attempt up to the maximum. */
export const REOPEN_BACKOFF_MIN_MS = 500;
export const REOPEN_BACKOFF_MAX_MS = 30_000;

/** errno codes after which the handle cannot work again as it is: reopen at once. */
const GONE: ReadonlySet<string> = new Set(['ENODEV', 'ENXIO', 'EBADF', 'EBADFD']);

export class ReceiveErrors {
  /** Failures in a row with no successful poll between. */
  consecutive = 0;
  private lastLog = Number.NEGATIVE_INFINITY;
  private unlogged = 0;
  private backoff = REOPEN_BACKOFF_MIN_MS;

  /** A poll went through: the handle works (hot path, one store). */
  ok(): void {
    this.consecutive = 0;
  }

  /**
   * Record a failure of `what` (a port or socket name) at `now` (ms).
   * Returns the line to log now, or undefined while within the interval.
   */
  failed(what: string, err: unknown, now: number): string | undefined {
    this.consecutive++;
    if (now - this.lastLog < RX_ERROR_LOG_INTERVAL_MS) {
      this.unlogged++;
      return undefined;
    }
    const more = this.unlogged > 0 ? ` (${this.unlogged} more since the last report)` : '';
    this.lastLog = now;
    this.unlogged = 0;
    return `${what}: receive failed: ${err instanceof Error ? err.message : String(err)}${more}`;
  }

  /** True when the handle should be reopened now: its device is gone, or it keeps failing. */
  shouldReopen(err: unknown): boolean {
    const code = err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
    return (code !== undefined && GONE.has(code)) || this.consecutive >= RX_ERRORS_BEFORE_REOPEN;
  }

  /** Milliseconds to wait before the next reopen attempt (doubling, bounded). */
  nextBackoff(): number {
    const b = this.backoff;
    this.backoff = Math.min(b * 2, REOPEN_BACKOFF_MAX_MS);
    return b;
  }

  /** The handle was reopened: start over. */
  reopened(): void {
    this.consecutive = 0;
    this.backoff = REOPEN_BACKOFF_MIN_MS;
  }
}

// Range checks for encoders. A value that does not fit its field is a
// programming error, not wire input: encoders throw RangeError for it
// (codec.ts), never WireError.

/** Throw a RangeError unless `value` is an integer 0..max; `what` names the field in the message. */
export function checkUint(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${what} must be an integer 0..${max}, got ${value}`);
  }
}

/** Throw a RangeError unless `value` is a signed 32-bit integer (netlink's ifindex, errno). */
export function checkInt32(value: number, what: string): void {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) {
    throw new RangeError(`${what} must be a 32-bit integer, got ${value}`);
  }
}

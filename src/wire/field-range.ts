// Range checks for encoders. A value that does not fit its field is a
// programming error, not wire input: encoders throw RangeError for it
// (codec.ts), never WireError.

/** Throw a RangeError unless `value` is an integer 0..max; `what` names the field in the message. */
export function checkUint(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${what} must be an integer 0..${max}, got ${value}`);
  }
}

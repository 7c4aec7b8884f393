// VXSWITCH_TEST_WORKERS=N runs the interop tests' switches with `workers = N`
// (docs/workers.md): the same assertions, forwarding spread over N threads.

/** The `workers` the harness puts in the configs it writes, or undefined (the default). */
export function testWorkers(): number | undefined {
  const v = process.env['VXSWITCH_TEST_WORKERS'];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`VXSWITCH_TEST_WORKERS=${v}: expected an integer of at least 1`);
  return n;
}

// The counter behind every rate-limited log line (repeated-event-log.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RepeatedEventLog } from '../../src/control/repeated-event-log.js';

test('RepeatedEventLog: the first event logs, the rest are counted per interval until an interval is quiet', () => {
  const r = new RepeatedEventLog(1000);
  assert.equal(r.note('a'), 'log');
  assert.equal(r.note('b'), 'counted');
  assert.equal(r.note('c'), 'counted');
  assert.deepEqual(r.flush(), { count: 2, last: 'c' });
  assert.equal(r.note('d'), 'counted', 'events go on: the next interval only counts');
  assert.deepEqual(r.flush(), { count: 1, last: 'd' });
  assert.deepEqual(r.flush(), { count: 0, last: '' });
  assert.equal(r.note('e'), 'log', 'after a quiet interval the next event logs at once');
});

// VniVteps (src/dataplane/vni-vteps.ts): an evpn VNI's remote VTEPs, by reference count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VniVteps } from '../../src/dataplane/vni-vteps.js';

test('VniVteps: counts references, a member until the last goes', () => {
  const m = new VniVteps(8);
  assert.equal(m.has(3), false);
  m.add(3);
  m.add(3);
  m.add(5);
  assert.equal(m.size, 2);
  m.remove(3);
  assert.equal(m.has(3), true, 'one reference left');
  m.remove(3);
  assert.equal(m.has(3), false);
  m.remove(3);
  assert.equal(m.has(3), false, 'removing what is not there changes nothing');
  assert.equal(m.has(5), true);
});

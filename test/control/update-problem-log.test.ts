// Issue 9, item 12's kind: log lines a peer can repeat at will are written
// at most once per interval, with a count. RFC 7606 problems of a peer's
// UPDATEs made one warn line per malformed UPDATE: 200 UPDATEs, 200 lines.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Speaker } from '../../src/control/speaker.js';
import { AttributeTypeCode } from '../../src/wire/path-attribute.js';
import { Topology, waitFor } from '../helpers/netns.js';
import { connectSpeaker, macIpUpdate, malformedUpdate, originValue } from '../helpers/test-speaker.js';
import { RecordingFdb } from './control-helpers.js';

const topo = new Topology();
after(() => topo.destroy());

test('200 UPDATEs with ORIGIN 7 (RFC 7606 treat-as-withdraw): 2 warn lines, the second with the count', async () => {
  const logs: string[] = [];
  const fdb = new RecordingFdb();
  const speaker = new Speaker({ asn: 65000, routerId: '127.0.0.1', vtep: '127.0.0.1', listenAddress: '127.0.0.1', listenPort: 0, neighbors: [], vnis: [{ vni: 100 }] }, fdb);
  speaker.on('log', (level, message) => logs.push(`${level} ${message}`));
  await speaker.start();
  speaker.addNeighbor({ neighborAddress: '127.0.0.3', peerAs: 65000, passive: true, holdTime: 9 });
  const route = { rd: '127.0.0.3:100', nextHop: '127.0.0.3', routeTargets: ['65000:100'], vni: 100 };
  try {
    const peer = await connectSpeaker(topo, null, { host: '127.0.0.1', port: speaker.listenAddress!.port, localAddress: '127.0.0.3' }, { as: 65000, bgpId: '127.0.0.3' });
    await peer.waitEstablished();
    for (let i = 0; i < 200; i++) {
      peer.send(malformedUpdate(macIpUpdate({ ...route, mac: `02:00:00:00:0e:${(i % 256).toString(16).padStart(2, '0')}` }), AttributeTypeCode.Origin, originValue(7), peer.context));
    }
    peer.sendUpdate(macIpUpdate({ ...route, mac: '02:00:00:00:0f:01' }));
    await waitFor('the marker route after the 200', () => fdb.entries.size === 1, 5000, 20);
    assert.equal(speaker.neighbors()[0]!.state, 'established');
  } finally {
    await speaker.stop();
  }
  const lines = logs.filter((l) => l.startsWith('warn neighbor 127.0.0.3: treat-as-withdraw'));
  assert.equal(lines.length, 1, logs.join('\n'));
  const summary = logs.filter((l) => /^warn 199 more like this in the last 60 s; the last: neighbor 127\.0\.0\.3: treat-as-withdraw/.test(l));
  assert.equal(summary.length, 1, logs.join('\n'));
});

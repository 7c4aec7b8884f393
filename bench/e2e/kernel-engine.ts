// The reference VTEP: Linux's bridge + vxlan device in the switch namespace
// (docs/benchmarking.md "The engines"): frame in on the member port -> br0
// -> vxk0 (nolearning) -> underlay. The flood entry and a static entry for
// the generator's destination MAC both point at the receiver's address, so
// the measured path is known-unicast encapsulation, as for OVS and vxswitch.

import type { Engine } from './engine.js';
import { ipn, nsWrite, run } from './netns.js';
import { DST_MAC, LOCAL_VTEP, MEMBER_IF, REMOTE_VTEP, UNDERLAY_IF, VNI, VXLAN_PORT, type Topology } from './topology.js';

export function kernelEngine(): Engine {
  let sw = '';
  return {
    name: 'kernel',
    async start(t: Topology): Promise<void> {
      sw = t.sw;
      // Bridged IPv4 need not traverse netfilter (no rules here): the kernel at its best.
      for (const f of ['bridge-nf-call-iptables', 'bridge-nf-call-ip6tables', 'bridge-nf-call-arptables']) {
        await nsWrite(sw, `/proc/sys/net/bridge/${f}`, '0').catch(() => undefined);
      }
      await ipn(sw, 'link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0');
      await ipn(sw, 'link', 'add', 'vxk0', 'type', 'vxlan', 'id', String(VNI), 'dstport', String(VXLAN_PORT),
        'local', LOCAL_VTEP, 'dev', UNDERLAY_IF, 'nolearning');
      await ipn(sw, 'link', 'set', 'vxk0', 'master', 'br0');
      await ipn(sw, 'link', 'set', MEMBER_IF, 'master', 'br0');
      for (const dev of ['vxk0', 'br0']) await ipn(sw, 'link', 'set', dev, 'up');
      await run('bridge', ['-n', sw, 'fdb', 'append', '00:00:00:00:00:00', 'dev', 'vxk0', 'dst', REMOTE_VTEP]);
      await run('bridge', ['-n', sw, 'fdb', 'add', DST_MAC, 'dev', 'vxk0', 'dst', REMOTE_VTEP, 'self', 'permanent']);
      await run('bridge', ['-n', sw, 'fdb', 'add', DST_MAC, 'dev', 'vxk0', 'master', 'static']);
    },
    async stop(): Promise<void> {
      if (sw === '') return;
      await ipn(sw, 'link', 'del', 'vxk0').catch(() => undefined);
      await ipn(sw, 'link', 'set', MEMBER_IF, 'nomaster').catch(() => undefined);
      await ipn(sw, 'link', 'del', 'br0').catch(() => undefined);
      sw = '';
    },
  };
}

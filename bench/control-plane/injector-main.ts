// The control-plane bench's route injector: a minimal iBGP speaker of the
// project's own in a child process, run inside the injector's namespace:
//
//   ip netns exec NS node dist/bench/control-plane/injector-main.js '<InjectorConfig JSON>'
//
// Before it connects it encodes every UPDATE it will send: N Type 2 routes
// (MAC only, one VNI, one RT, next hop = its own address) packed with
// src/control/update-builder.ts into as few 4096-octet UPDATEs as fit
// (~115 NLRI each), so the measured injection is only socket writes. Then it
// connects, exchanges OPEN/KEEPALIVE, announces one Type 3 (so receivers know
// the VTEP, as a real one would announce it) and waits. On {"inject": true}
// on stdin it writes every UPDATE as fast as TCP takes them (one corked
// batch: node hands them to the kernel with writev as the window opens) and
// reports when the first write was issued and when the kernel had taken the
// last byte. It keeps the session up (KEEPALIVEs every hold time / 3) and
// reads whatever the peer sends (framed, not decoded, counted) until stdin
// closes or the peer closes.
//
// stdout, JSON lines (t = performance.timeOrigin + performance.now(), ms since
// the epoch, comparable with the parent's clock):
//   {"encoded": {"updates", "bytes", "routes", "ms"}}
//   {"connected": {"t"}}
//   {"established": {"t", "holdTime"}}
//   {"imet": {"t"}}                              the Type 3 was handed to the kernel
//   {"injected": {"first", "last", "updates", "bytes"}}
//   {"rx": {"messages", "updates", "bytes", "last"}}     answer to {"rx": true}
//   {"notification": {"code", "subcode", "t"}}   the peer's NOTIFICATION
//   {"error": {"message", "t"}}
//   {"closed": {"t"}}                            then the process exits

import net from 'node:net';
import readline from 'node:readline';
import { packAnnouncements } from '../../src/control/update-builder.js';
import type { RouteNlri } from '../../src/control/route.js';
import { Afi, Safi } from '../../src/wire/afi-safi.js';
import { AS4_CONTEXT } from '../../src/wire/bgp-context.js';
import { MessageType, messageLengthAt } from '../../src/wire/bgp-header.js';
import * as bgpMessage from '../../src/wire/bgp-message.js';
import { buildOpen } from '../../src/wire/bgp-open.js';
import { zeroEsi } from '../../src/wire/esi.js';
import { parseRouteTarget, TunnelType } from '../../src/wire/extended-community.js';
import type { PathAttribute } from '../../src/wire/path-attribute.js';
import { parseRd } from '../../src/wire/route-distinguisher.js';
import { imetUpdate } from '../../test/helpers/test-speaker.js';
import { encodeFabric, type FabricSpec } from './fabric.js';

export interface InjectorConfig {
  connect: { host: string; port?: number; localAddress: string };
  as: number;
  /** BGP identifier; also the next hop, the RD's administrator and the Type 3 originator. */
  address: string;
  /** Hold time offered (seconds). */
  holdTime: number;
  /** Type 2 routes to inject. */
  routes: number;
  vni: number;
  /** e.g. "65000:100". */
  routeTarget: string;
  /** Second octet of the generated MACs 02:XX:00:00:00:00 + index (distinct per injector). */
  macPrefix: number;
  /**
   * Instead of `routes` MACs behind itself in one VNI: a whole fabric's
   * Type 3 and Type 2 routes, other VTEPs as next hops (fabric.ts).
   */
  fabric?: FabricSpec;
}

function now(): number {
  return performance.timeOrigin + performance.now();
}

function emit(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** The injection: every Type 2 UPDATE, encoded now, before any timing starts. */
function encodeInjection(c: InjectorConfig): Buffer[] {
  if (c.routes > 1 << 24) throw new RangeError('at most 2^24 routes (the MAC carries the index in 3 octets)');
  const rd = parseRd(`${c.address}:${c.vni}`);
  const esi = zeroEsi();
  const nlris: RouteNlri[] = new Array<RouteNlri>(c.routes);
  const hex = (b: number): string => b.toString(16).padStart(2, '0');
  const p = hex(c.macPrefix & 0xff);
  for (let i = 0; i < c.routes; i++) {
    // Locally administered unicast (02:...), the index in the last 3 octets.
    const mac = `02:${p}:00:${hex((i >>> 16) & 0xff)}:${hex((i >>> 8) & 0xff)}:${hex(i & 0xff)}`;
    nlris[i] = { family: 'l2vpn-evpn', nlri: { route: { type: 2, rd, esi, etag: 0, mac, labels: [c.vni] } } };
  }
  // RFC 8365 §5.1.3: RT plus the VXLAN encapsulation community; iBGP: empty AS_PATH, LOCAL_PREF.
  const attributes: PathAttribute[] = [
    { type: 'origin', value: 'igp' },
    { type: 'as-path', value: [] },
    { type: 'local-pref', value: 100 },
    { type: 'extended-communities', value: [parseRouteTarget(c.routeTarget), { kind: 'encapsulation', tunnelType: TunnelType.Vxlan }] },
  ];
  const out: Buffer[] = [];
  packAnnouncements('l2vpn-evpn', c.address, attributes, nlris, AS4_CONTEXT, out);
  return out;
}

function main(): void {
  const c = JSON.parse(process.argv[2] ?? '{}') as InjectorConfig;
  const t0 = performance.now();
  const updates = c.fabric !== undefined ? encodeFabric(c.fabric, c.as, AS4_CONTEXT) : encodeInjection(c);
  const total = updates.reduce((n, b) => n + b.length, 0);
  emit({ encoded: { updates: updates.length, bytes: total, routes: c.fabric?.macs ?? c.routes, ms: performance.now() - t0 } });

  const open = bgpMessage.encode({
    type: 'open',
    open: buildOpen({
      as: c.as,
      holdTime: c.holdTime,
      bgpId: c.address,
      capabilities: [
        { type: 'multiprotocol', afi: Afi.L2vpn, safi: Safi.Evpn },
        { type: 'route-refresh' },
        { type: 'four-octet-as', as: c.as },
      ],
    }),
  });
  const keepalive = bgpMessage.encode(bgpMessage.KEEPALIVE);
  const imet = bgpMessage.encode(
    {
      type: 'update',
      update: imetUpdate({ rd: `${c.address}:${c.vni}`, nextHop: c.address, routeTargets: [c.routeTarget], vni: c.vni, localPref: 100 }),
    },
    undefined,
    0,
    AS4_CONTEXT,
  );

  let closed = false;
  let keepaliveTimer: NodeJS.Timeout | undefined;
  const rx = { messages: 0, updates: 0, bytes: 0, last: 0 };
  const finish = (): void => {
    if (closed) return;
    closed = true;
    if (keepaliveTimer !== undefined) clearInterval(keepaliveTimer);
    emit({ closed: { t: now() } });
    process.stdout.write('', () => process.exit(0));
  };

  const socket = net.connect({ host: c.connect.host, port: c.connect.port ?? 179, localAddress: c.connect.localAddress });
  socket.setNoDelay(true);
  let gotOpen = false;
  let established = false;
  let negotiatedHold = 0;
  let pending: Buffer = Buffer.alloc(0);
  socket.once('connect', () => {
    emit({ connected: { t: now() } });
    socket.write(open);
  });
  socket.on('data', (chunk: Buffer) => {
    const t = now();
    rx.bytes += chunk.length;
    rx.last = t;
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let o = 0;
    for (;;) {
      let length: number | undefined;
      try {
        length = messageLengthAt(pending, o, AS4_CONTEXT);
      } catch (e) {
        emit({ error: { message: `unframeable input: ${(e as Error).message}`, t } });
        socket.destroy();
        return;
      }
      if (length === undefined || pending.length - o < length) break;
      const type = pending[o + 18]!;
      rx.messages++;
      if (type === MessageType.Update) rx.updates++;
      else if (type === MessageType.Open && !gotOpen) {
        gotOpen = true;
        const peerHold = pending.readUInt16BE(o + 22);
        // RFC 4271 §4.2: the smaller hold time; KEEPALIVEs every third of it.
        negotiatedHold = Math.min(peerHold, c.holdTime);
        socket.write(keepalive);
        if (negotiatedHold > 0) keepaliveTimer = setInterval(() => socket.write(keepalive), (negotiatedHold * 1000) / 3);
      } else if (type === MessageType.Keepalive && gotOpen && !established) {
        established = true;
        emit({ established: { t, holdTime: negotiatedHold } });
        socket.write(imet, () => emit({ imet: { t: now() } }));
      } else if (type === MessageType.Notification) {
        emit({ notification: { code: pending[o + 19] ?? 0, subcode: pending[o + 20] ?? 0, t } });
      }
      o += length;
    }
    pending = pending.subarray(o);
  });
  socket.on('error', (e) => emit({ error: { message: e.message, t: now() } }));
  socket.on('close', finish);

  const input = readline.createInterface({ input: process.stdin });
  input.on('line', (line) => {
    let cmd: { inject?: boolean; rx?: boolean };
    try {
      cmd = JSON.parse(line) as typeof cmd;
    } catch {
      return;
    }
    if (cmd.rx) emit({ rx });
    if (!cmd.inject) return;
    if (!established) {
      emit({ error: { message: 'inject before the session is established', t: now() } });
      return;
    }
    socket.cork();
    const first = now();
    for (let i = 0; i < updates.length - 1; i++) socket.write(updates[i]!);
    socket.write(updates[updates.length - 1]!, () => emit({ injected: { first, last: now(), updates: updates.length, bytes: total } }));
    socket.uncork();
  });
  // The parent went away (or closed our stdin): so do we.
  input.on('close', () => {
    socket.destroy();
    finish();
  });
}

main();

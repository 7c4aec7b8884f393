import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { formatEsiFrr, isZeroEsi, zeroEsi } from '../../src/wire/esi.js';
import * as evpn from '../../src/wire/evpn-nlri.js';
import type { EvpnRoute } from '../../src/wire/evpn-nlri.js';
import * as text from '../../src/wire/evpn-route-text.js';
import * as ec from '../../src/wire/extended-community.js';
import { formatRd, parseRd } from '../../src/wire/route-distinguisher.js';
import { evpnRouteArb } from '../helpers/evpn-arbitraries.js';
import { evpnUpdates, fixtureTextPath } from '../helpers/evpn-capture.js';
import { runs } from '../helpers/property.js';

interface CapturedRoute {
  route: EvpnRoute;
  communities: ec.ExtendedCommunity[];
}

/** Every advertised route of the GoBGP all-route-types capture, with its UPDATE's extended communities. */
function capturedRoutes(): CapturedRoute[] {
  return evpnUpdates('gobgp-evpn-route-types').flatMap((u) =>
    u.reach.map((r) => ({
      route: evpn.decode(r.bytes).route,
      communities: u.extCommunities.map((e) => ec.decode(e.bytes)),
    })),
  );
}

test('GoBGP text: every line of `gobgp global rib -a evpn` (gobgp 3.10) matches the captured route', () => {
  const lines = readFileSync(fixtureTextPath('gobgp-evpn-route-types.rib.txt'), 'utf8').split('\n');
  const header = lines[0]!;
  const at = (name: string): number => {
    const i = header.indexOf(name);
    assert.ok(i > 0, `column ${name}`);
    return i;
  };
  const [labelsAt, nextHopAt, attrsAt] = [at('Labels'), at('Next Hop'), at('Attrs')];
  const routes = capturedRoutes();
  let matched = 0;
  for (const line of lines.filter((l) => l.startsWith('*>'))) {
    const network = line.slice(3, labelsAt).trim();
    const labels = line.slice(labelsAt, nextHopAt).trim();
    const attrs = line.slice(attrsAt);
    const hit = routes.find((r) => text.formatRouteGobgp(r.route) === network);
    assert.ok(hit, `a captured route prints as ${network}`);
    assert.equal(text.formatLabelsGobgp(hit.route), labels, `labels of ${network}`);
    if (hit.communities.length > 0) {
      const comms = ec.formatExtCommunitiesGobgp(hit.communities);
      assert.ok(attrs.includes(comms), `${comms} in ${attrs}`);
    }
    for (const extra of text.gobgpRouteExtras(hit.route)) assert.ok(attrs.includes(extra), `${extra} in ${attrs}`);
    matched++;
  }
  assert.ok(matched >= 13, `matched ${matched} lines`);
});

test('FRR text: every route of `show bgp l2vpn evpn route` (FRR 8.4) matches the captured route', () => {
  const lines = readFileSync(fixtureTextPath('gobgp-evpn-route-types.frr.txt'), 'utf8').split('\n');
  const routes = capturedRoutes();
  let rd = '';
  let matched = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const rdLine = /^Route Distinguisher: (.+)$/.exec(line);
    if (rdLine) rd = rdLine[1]!;
    if (!line.startsWith('*>i')) continue;
    const prefix = line.slice(3).trim();
    // Then: next-hop line, optional "ESI:..." line, optional communities line.
    const rest: string[] = [];
    for (let j = i + 2; j < lines.length && /^\s{10,}\S/.test(lines[j]!); j++) rest.push(lines[j]!.trim());
    const esiLine = rest.find((l) => l.startsWith('ESI:'));
    const commLine = rest.find((l) => !l.startsWith('ESI:')) ?? '';
    const hit = routes.find((r) => r.route.type !== 'unknown' && formatRd(r.route.rd) === rd && text.formatRouteFrr(r.route) === prefix);
    assert.ok(hit, `a captured route prints as RD ${rd} ${prefix}`);
    assert.equal(ec.formatExtCommunitiesFrr(hit.communities), commLine, `communities of ${prefix}`);
    if (hit.route.type === 2 && !isZeroEsi(hit.route.esi)) assert.equal(esiLine, `ESI:${formatEsiFrr(hit.route.esi)}`);
    assert.equal(text.formatRouteFrrWithRd(hit.route), `${rd}:${prefix}`);
    matched++;
  }
  assert.equal(matched, 10);
});

test('FRR text: the FRR session routes as the interop README shows them', () => {
  // README, `show bgp l2vpn evpn route` on pi-v1 (hand-copied output of FRR 8.4).
  const shown = new Set(
    evpnUpdates('frr-frr-evpn-session').flatMap((u) => u.reach.map((r) => text.formatRouteFrrWithRd(evpn.decode(r.bytes).route))),
  );
  for (const s of ['10.212.0.1:2:[2]:[0]:[48]:[02:00:00:00:01:01]', '10.212.0.1:2:[3]:[0]:[32]:[10.212.0.1]', '10.212.0.2:2:[3]:[0]:[32]:[10.212.0.2]']) {
    assert.ok(shown.has(s), s);
  }
  const gobgp = new Set(
    evpnUpdates('gobgp-frr-evpn-session').flatMap((u) => u.reach.map((r) => text.formatRouteFrrWithRd(evpn.decode(r.bytes).route))),
  );
  // README: "BGP routing table entry for 10.212.0.30:100:[2]:[0]:[48]:[02:00:00:00:03:03]".
  assert.ok(gobgp.has('10.212.0.30:100:[2]:[0]:[48]:[02:00:00:00:03:03]'));
  assert.ok(gobgp.has('10.212.0.30:100:[3]:[0]:[32]:[10.212.0.30]'));
});

test('GoBGP and FRR text of hand-made routes', () => {
  const rd = { type: 0 as const, asn: 65000, assigned: 10 };
  const mac: EvpnRoute = { type: 2, rd, esi: zeroEsi(), etag: 0, mac: 'aa:aa:aa:aa:aa:01', labels: [10] };
  // As gobgp 3.10 printed `global rib -a evpn add macadv aa:aa:aa:aa:aa:01 0.0.0.0 etag 0 label 10 rd 65000:10`.
  assert.equal(text.formatRouteGobgp(mac), '[type:macadv][rd:65000:10][etag:0][mac:aa:aa:aa:aa:aa:01][ip:<nil>]');
  assert.equal(text.formatLabelsGobgp(mac), '[10]');
  assert.deepEqual(text.gobgpRouteExtras(mac), ['[ESI: single-homed]']);
  assert.equal(text.formatRouteFrr(mac), '[2]:[0]:[48]:[aa:aa:aa:aa:aa:01]');
  assert.equal(text.formatRouteFrr({ ...mac, ip: '10.0.0.1' }), '[2]:[0]:[48]:[aa:aa:aa:aa:aa:01]:[32]:[10.0.0.1]');
  // FRR prints the Type 2/3/5 tag with %d.
  assert.equal(text.formatRouteFrr({ ...mac, etag: 0xffffffff }), '[2]:[-1]:[48]:[aa:aa:aa:aa:aa:01]');
  const imet: EvpnRoute = { type: 3, rd, etag: 0, originatorIp: '10.0.0.1' };
  assert.equal(text.formatRouteGobgp(imet), '[type:multicast][rd:65000:10][etag:0][ip:10.0.0.1]');
  assert.equal(text.formatRouteFrr(imet), '[3]:[0]:[32]:[10.0.0.1]');
  assert.equal(text.formatLabelsGobgp(imet), '');
  const unknown: EvpnRoute = { type: 'unknown', code: 9, data: Buffer.alloc(20) };
  assert.equal(text.formatRouteGobgp(unknown), '9:20');
  assert.equal(text.formatRouteFrr(unknown), 'Unsupported EVPN prefix');
  assert.equal(text.formatRouteFrrWithRd(unknown), 'Unsupported EVPN prefix');
});

test("GoBGP text: Go's net.IP.String()", () => {
  assert.equal(text.formatIpGo('10.0.0.1'), '10.0.0.1');
  assert.equal(text.formatIpGo('::ffff:10.0.0.1'), '10.0.0.1', 'IPv4-mapped prints as IPv4');
  assert.equal(text.formatIpGo('::1.2.3.4'), '::102:304', 'no embedded-IPv4 form');
  assert.equal(text.formatIpGo('2001:db8::1'), '2001:db8::1');
  assert.equal(text.formatIpGo('1:0:0:1:0:0:0:1'), '1:0:0:1::1');
  assert.equal(text.formatIpGo('1:0:1:1:1:1:1:1'), '1:0:1:1:1:1:1:1', 'a single zero group is not compressed');
  assert.equal(text.formatIpGo('::'), '::');
});

test('route text: property: every route formats without throwing', () => {
  fc.assert(
    fc.property(evpnRouteArb, (route) => {
      text.formatRouteGobgp(route);
      text.formatRouteFrr(route);
      text.formatLabelsGobgp(route);
      text.gobgpRouteExtras(route);
      text.formatRouteFrrWithRd(route);
    }),
    runs(0.2),
  );
});

test('GoBGP 1.x one-line Type 2 form (the goplane demo output)', () => {
  const route = { type: 2 as const, rd: parseRd('65000:10'), esi: zeroEsi(), etag: 0, mac: 'aa:aa:aa:aa:aa:01', labels: [10] };
  assert.equal(
    text.formatRouteGobgpLegacy(route),
    '[type:macadv][rd:65000:10][esi:single-homed][etag:0][mac:aa:aa:aa:aa:aa:01][ip:<nil>][labels:[10]]',
  );
  assert.equal(
    text.formatRouteGobgpLegacy({ ...route, rd: parseRd('192.168.0.1:0'), etag: 10, mac: '22:d5:74:13:25:8f', ip: '10.0.0.1', labels: [10, 20] }),
    '[type:macadv][rd:192.168.0.1:0][esi:single-homed][etag:10][mac:22:d5:74:13:25:8f][ip:10.0.0.1][labels:[10 20]]',
  );
});

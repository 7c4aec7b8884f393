// Which configured addresses can name a peer: a VTEP in a flood list, a BGP
// neighbor, our own VTEP address. The special ranges of RFC 6890 (IPv4) and
// RFC 4291 §2.4 (IPv6) that never identify one remote host are refused by
// the config schema with the reason, instead of failing later (a flood copy
// sent to 255.255.255.255 or to ourselves, a TCP connect to a group).

import { BlockList, isIPv4 } from 'node:net';

const ranges: Array<[reason: string, v4: Array<[string, number]>, v6: Array<[string, number]>]> = [
  // RFC 6890 §2.2.2 "this network" (0.0.0.0/8) and RFC 4291 §2.5.2 "::".
  ['an unspecified address', [['0.0.0.0', 8]], [['::', 128]]],
  // RFC 6890 §2.2.2 / RFC 4291 §2.5.3.
  ['a loopback address', [['127.0.0.0', 8]], [['::1', 128]]],
  // RFC 5771 (224.0.0.0/4) / RFC 4291 §2.7 (ff00::/8).
  ['a multicast address', [['224.0.0.0', 4]], [['ff00::', 8]]],
  // RFC 919 limited broadcast; the rest of 240.0.0.0/4 is reserved (RFC 1112 §4).
  ['the broadcast address', [['255.255.255.255', 32]], []],
  ['a reserved address (240.0.0.0/4)', [['240.0.0.0', 4]], []],
];

const lists = ranges.map(([reason, v4, v6]) => {
  const list = new BlockList();
  for (const [a, n] of v4) list.addSubnet(a, n, 'ipv4');
  for (const [a, n] of v6) list.addSubnet(a, n, 'ipv6');
  return { reason, list };
});

/**
 * Why `address` (a valid IPv4 or IPv6 address) cannot be one remote host,
 * or undefined when it can. `allowLoopback`: a BGP session to 127.0.0.1 is
 * a legitimate local set-up; a VTEP on the loopback is not.
 */
export function notAHostReason(address: string, options: { allowLoopback?: boolean } = {}): string | undefined {
  const family = isIPv4(address) ? 'ipv4' : 'ipv6';
  for (const { reason, list } of lists) {
    if (options.allowLoopback === true && reason === 'a loopback address') continue;
    if (list.check(address, family)) return reason;
  }
  return undefined;
}

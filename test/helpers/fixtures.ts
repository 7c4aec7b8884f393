// The captured sessions under test/fixtures (re-made by scripts/capture-fixtures.sh).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import * as pcap from '../../src/wire/pcap.js';

// dist/test/helpers -> project root; also works from test/helpers under tsx.
const here = path.dirname(fileURLToPath(import.meta.url));
export const PROJECT_ROOT = here.includes(`${path.sep}dist${path.sep}`)
  ? path.resolve(here, '..', '..', '..')
  : path.resolve(here, '..', '..');
export const FIXTURES = path.join(PROJECT_ROOT, 'test', 'fixtures');

export const CAPTURES = [
  'frr-frr-evpn-session',
  'gobgp-frr-evpn-session',
  'pyspeaker-frr-evpn-session',
  'vxlan-kernel-arp-icmp',
] as const;
export type CaptureName = (typeof CAPTURES)[number];

export function capturePath(name: CaptureName): string {
  return path.join(FIXTURES, `${name}.pcap`);
}

export function readCapture(name: CaptureName): pcap.PcapFile {
  return pcap.decode(readFileSync(capturePath(name)));
}

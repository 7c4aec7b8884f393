// The captured sessions under test/fixtures (re-made by scripts/capture-fixtures.sh).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { TestContext } from 'node:test';
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

/**
 * A hand-made capture: `frames` written as an Ethernet pcap (one second
 * apart) in a temporary directory removed when the test ends, for tshark to
 * read. Returns the file's path.
 */
export function tempCapture(t: TestContext, name: string, frames: readonly Buffer[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'vxswitch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, name);
  writeFileSync(file, pcap.encode(pcap.LinkType.Ethernet, frames.map((data, i) => ({ time: i, data }))));
  return file;
}

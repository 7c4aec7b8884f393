// A good vxswitch config as TOML with one part replaced per test, and the
// loader's answer to it (the config, or its problem lines).
import assert from 'node:assert/strict';
import { ConfigError, parseConfig, type VtepConfig } from '../../src/daemon/config-file.js';

export const F = 'vx.toml';
/** Interfaces that "exist" for these tests (the real check reads /sys/class/net). */
export const interfaceExists = (name: string): boolean => ['eth1', 'eth2', 'eth3', 'eth4', 'ul0'].includes(name);

export interface Parts {
  global?: string;
  neighbor?: string;
  vni?: string;
  /** Lines of [dataplane] after `type`. */
  dataplane?: string;
  extra?: string;
}

export function toml(p: Parts = {}): string {
  return [
    '[global.config]',
    p.global ?? 'as = 65000\nrouter-id = "10.0.0.1"',
    '',
    '[[neighbors]]',
    '[neighbors.config]',
    p.neighbor ?? 'neighbor-address = "10.0.0.2"\npeer-as = 65000',
    '',
    '[dataplane]',
    'type = "userspace"',
    ...(p.dataplane !== undefined ? [p.dataplane] : []),
    '',
    '[[dataplane.virtual-network-list]]',
    p.vni ?? 'vni = 10\nrd = "65000:10"\nmember-interfaces = ["eth1"]',
    '',
    p.extra ?? '',
  ].join('\n');
}

/** The loaded config, or the problem lines of a ConfigError. */
export function parse(text: string, file = F): VtepConfig | string[] {
  try {
    return parseConfig(file, text, { interfaceExists });
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return e.problems;
  }
}

/** The problem lines; fails when the config was accepted. */
export function problems(text: string, file = F): string[] {
  const r = parse(text, file);
  assert.ok(Array.isArray(r), 'the config was accepted');
  return r;
}

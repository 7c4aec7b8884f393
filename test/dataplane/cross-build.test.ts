// Issue 5, Raspberry Pi: the native addon cross-compiles for arm64 and armv7
// (scripts/cross-build-addon.sh, Debian's gcc-aarch64-linux-gnu and
// gcc-arm-linux-gnueabihf against Node's headers). Compile and link only
// (~3 s): nothing runs on ARM here, so this proves the C builds warning-free
// (-Werror) for both ABIs and exports the N-API entry point, not that it works
// on a Pi.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCRIPT = path.join(ROOT, 'scripts/cross-build-addon.sh');

function missing(): string | false {
  for (const cc of ['aarch64-linux-gnu-gcc', 'arm-linux-gnueabihf-gcc', 'file', 'readelf']) {
    if (spawnSync('sh', ['-c', `command -v ${cc}`]).status !== 0) {
      return `needs ${cc} (apt-get install gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf file binutils, or run scripts/cross-build-addon.sh once)`;
    }
  }
  if (!existsSync('/usr/include/node/node_api.h') && process.env['NODE_INCLUDE'] === undefined) return "needs Node's headers in /usr/include/node (or NODE_INCLUDE)";
  return false;
}

const TARGETS = [
  { arch: 'arm64', file: /^ELF 64-bit LSB shared object, ARM aarch64/, machine: /Machine:\s+AArch64/, object: /^ELF 64-bit LSB relocatable, ARM aarch64/ },
  { arch: 'armv7', file: /^ELF 32-bit LSB shared object, ARM, EABI5/, machine: /Machine:\s+ARM$/m, object: /^ELF 32-bit LSB relocatable, ARM, EABI5/ },
];

test('cross-build-addon.sh: vxio.node for arm64 and armv7', { skip: missing(), timeout: 60_000 }, () => {
  const out = mkdtempSync(path.join(tmpdir(), 'vx-cross-'));
  try {
    const t0 = performance.now();
    const stdout = execFileSync(SCRIPT, [out], { encoding: 'utf8', env: { ...process.env, CROSS_NO_INSTALL: '1' } });
    const ms = Math.round(performance.now() - t0);
    assert.ok(ms < 30_000, `compile only, took ${ms} ms`);
    for (const t of TARGETS) {
      assert.match(stdout, new RegExp(`^ok ${t.arch}: `, 'm'));
      const so = path.join(out, t.arch, 'vxio.node');
      assert.match(execFileSync('file', ['-b', so], { encoding: 'utf8' }), t.file);
      assert.match(execFileSync('readelf', ['-h', so], { encoding: 'utf8' }), t.machine);
      // Node loads an addon through this symbol (NAPI_MODULE_INIT).
      const dyn = execFileSync('readelf', ['--dyn-syms', '-W', so], { encoding: 'utf8' });
      assert.match(dyn, /\bGLOBAL\s+DEFAULT\s+\d+\s+napi_register_module_v1$/m);
      const objects = readdirSync(path.join(out, t.arch)).filter((f) => f.endsWith('.o')).sort();
      assert.deepEqual(objects, ['netlink.o', 'packet.o', 'tap.o', 'tcp.o', 'udp.o', 'vxio.o', 'xdp.o']);
      for (const o of objects) assert.match(execFileSync('file', ['-b', path.join(out, t.arch, o)], { encoding: 'utf8' }), t.object);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

// The management API: newline-delimited JSON over a unix socket.
// Request:  {"method": "neighbors" | "rib" | "fdb" | "vnis" | "counters", "params": {...}}
// Response: {"ok": true, "result": ...} or {"ok": false, "error": "..."}
// One request per line; a client may send several on one connection.
// `vxswitch neighbor`, `global rib`, `fdb` and `vni` are clients of it.

import { unlink } from 'node:fs/promises';
import net from 'node:net';
import { isFamily } from '../control/afi-safi-family.js';
import type { Logger } from './logger.js';
import type { Vtep } from './vtep.js';

export { DEFAULT_API_SOCKET } from './api-socket-path.js';

export interface ApiRequest {
  method: string;
  params?: Record<string, unknown>;
}

export type ApiResponse = { ok: true; result: unknown } | { ok: false; error: string };

/** Answer one request against a running VTEP. */
export function handleRequest(vtep: Vtep, req: ApiRequest): ApiResponse {
  const p = req.params ?? {};
  switch (req.method) {
    case 'neighbors':
      return { ok: true, result: vtep.neighbors() };
    case 'rib': {
      const family = p['family'] ?? 'l2vpn-evpn';
      if (typeof family !== 'string' || !isFamily(family)) return { ok: false, error: `unknown address family "${String(family)}" (l2vpn-evpn, ipv4-unicast, ipv6-unicast)` };
      return { ok: true, result: vtep.rib(family) };
    }
    case 'fdb': {
      const vni = p['vni'];
      if (vni !== undefined && typeof vni !== 'number') return { ok: false, error: 'vni must be a number' };
      return { ok: true, result: vtep.fdb(vni) };
    }
    case 'vnis':
      return { ok: true, result: vtep.vnis() };
    case 'counters':
      return { ok: true, result: vtep.counters() };
    default:
      return { ok: false, error: `unknown method "${req.method}" (neighbors, rib, fdb, vnis, counters)` };
  }
}

export class ApiServer {
  private server: net.Server | null = null;

  constructor(
    private readonly vtep: Vtep,
    private readonly path: string,
    private readonly log: Logger,
  ) {}

  async listen(): Promise<void> {
    // A socket file left by a daemon that died would make listen fail: remove
    // it, unless a live daemon answers on it.
    if (await isAlive(this.path)) throw new Error(`API socket ${this.path}: another vxswitch is running there`);
    await unlink(this.path).catch(() => undefined);
    const server = net.createServer((socket) => this.serve(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => resolve());
    });
    this.server = server;
    this.log.info({ socket: this.path }, 'management API listening');
  }

  private serve(socket: net.Socket): void {
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      if (buffered.length > 1 << 20) {
        socket.destroy();
        return;
      }
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let response: ApiResponse;
        try {
          const req = JSON.parse(line) as ApiRequest;
          response = typeof req?.method === 'string' ? handleRequest(this.vtep, req) : { ok: false, error: 'a request is {"method": ..., "params": {...}}' };
        } catch (e) {
          response = { ok: false, error: `bad request: ${(e as Error).message}` };
        }
        socket.write(`${JSON.stringify(response)}\n`);
      }
    });
    socket.on('error', () => socket.destroy());
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s !== null) await new Promise<void>((resolve) => s.close(() => resolve()));
    await unlink(this.path).catch(() => undefined);
  }
}

function isAlive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

// The management API: newline-delimited JSON over a unix socket.
// Request:  {"method": "neighbors" | "rib" | "fdb" | "vnis" | "counters", "params": {...}}
// Response: {"ok": true, "result": ...} or {"ok": false, "error": "..."}
// One request per line; a client may send several on one connection.
// `vxswitch neighbor`, `global rib`, `fdb` and `vni` are clients of it.
//
// Who may ask (issue 9 item 15): the socket is created 0660 whatever the
// umask, owned by the daemon's user and the configured group ([api]
// socket-group); every request is validated here (api-request.ts); a client
// that does not read its answers is dropped once their unread bytes pass
// [api] client-buffer; at most MAX_CLIENTS connections at a time.

import { chmod, chown, unlink } from 'node:fs/promises';
import net from 'node:net';
import { parseApiRequest } from './api-request.js';
import { groupId } from './group-id.js';
import type { Logger } from './logger.js';
import type { Vtep } from './vtep.js';

export { DEFAULT_API_SOCKET } from './api-socket-path.js';

export interface ApiRequest {
  method: string;
  params?: Record<string, unknown>;
}

export type ApiResponse = { ok: true; result: unknown } | { ok: false; error: string };

/** Unread response bytes a client may hold before it is dropped ([api] client-buffer). */
export const DEFAULT_CLIENT_BUFFER = 16 << 20;
/** A request line longer than this closes the connection (no request is near it). */
const MAX_REQUEST_LINE = 1 << 20;
/** Connections at a time; more are refused by the listener (net.Server maxConnections). */
export const MAX_CLIENTS = 64;
/** The socket's mode: owner and group read/write, nobody else. */
const SOCKET_MODE = 0o660;

/** Answer one request (the parsed JSON of one line) against a running VTEP. */
export function handleRequest(vtep: Vtep, req: unknown): ApiResponse {
  const q = parseApiRequest(req);
  if ('error' in q) return { ok: false, error: q.error };
  switch (q.method) {
    case 'neighbors':
      return { ok: true, result: vtep.neighbors() };
    case 'rib':
      return { ok: true, result: vtep.rib(q.family) };
    case 'fdb':
      return { ok: true, result: vtep.fdb(q.vni) };
    case 'vnis':
      return { ok: true, result: vtep.vnis() };
    case 'counters':
      return { ok: true, result: vtep.counters() };
  }
}

export interface ApiServerOptions {
  /** Group (name or number) given the socket; default the daemon's group. */
  group?: string;
  /** Default DEFAULT_CLIENT_BUFFER. */
  clientBuffer?: number;
}

export class ApiServer {
  private server: net.Server | null = null;
  private lastRefusedLog = -Infinity;
  private refused = 0;

  constructor(
    private readonly vtep: Vtep,
    private readonly path: string,
    private readonly log: Logger,
    private readonly options: ApiServerOptions = {},
  ) {}

  async listen(): Promise<void> {
    // A socket file left by a daemon that died would make listen fail: remove
    // it, unless a live daemon answers on it.
    if (await isAlive(this.path)) throw new Error(`API socket ${this.path}: another vxswitch is running there`);
    const gid = this.options.group === undefined ? undefined : await groupId(this.options.group);
    await unlink(this.path).catch(() => undefined);
    const server = net.createServer((socket) => this.serve(socket));
    server.maxConnections = MAX_CLIENTS;
    server.on('drop', () => this.clientRefused());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // bind(2) creates the socket file with 0777 & ~umask: with umask 000
      // any user could connect. The umask is narrowed around the listen
      // (Node binds a unix socket synchronously inside listen()), so the
      // file never exists with a wider mode than SOCKET_MODE.
      const umask = process.umask(0o777 & ~SOCKET_MODE);
      try {
        server.listen(this.path, () => resolve());
      } finally {
        process.umask(umask);
      }
    });
    this.server = server;
    try {
      await chmod(this.path, SOCKET_MODE);
      if (gid !== undefined) await chown(this.path, -1, gid);
    } catch (e) {
      await this.close();
      throw new Error(`API socket ${this.path}: cannot set its mode or group: ${(e as Error).message}`);
    }
    this.log.info({ socket: this.path, mode: SOCKET_MODE.toString(8), group: this.options.group ?? null }, 'management API listening');
  }

  /** net.Server 'drop': over MAX_CLIENTS; one log line per 10 s at most, with the count. */
  private clientRefused(): void {
    this.refused++;
    const now = performance.now();
    if (now - this.lastRefusedLog < 10_000) return;
    this.lastRefusedLog = now;
    this.log.warn({ refused: this.refused, maxClients: MAX_CLIENTS }, `management API: ${this.refused} connection(s) refused, ${MAX_CLIENTS} clients at a time`);
    this.refused = 0;
  }

  private serve(socket: net.Socket): void {
    let buffered = '';
    const limit = this.options.clientBuffer ?? DEFAULT_CLIENT_BUFFER;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      if (buffered.length > MAX_REQUEST_LINE) {
        this.log.warn({ bytes: buffered.length }, `management API client dropped: a request line over ${MAX_REQUEST_LINE} bytes`);
        socket.destroy();
        return;
      }
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        // Answers the client has not read stay in memory: past the limit it
        // is not reading, and it goes before its next answer is built.
        if (socket.writableLength > limit) {
          this.log.warn({ unread: socket.writableLength, limit }, `management API client dropped: ${socket.writableLength} bytes of answers unread (limit ${limit}, [api] client-buffer)`);
          socket.destroy();
          return;
        }
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let response: ApiResponse;
        try {
          response = handleRequest(this.vtep, JSON.parse(line) as unknown);
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

// The socket end of the test speaker (test-speaker.ts), run as a child
// process inside a network namespace:
//
//   ip netns exec NS node dist/test/helpers/test-speaker-main.js '<json config>'
//
// config: {"connect": {"host": "10.214.0.254", "port": 179, "localAddress"?: "10.214.0.40"}}
//      or {"listen": {"address": "10.214.0.40", "port": 179}}   (accepts one connection)
//
// It holds one TCP connection and no BGP state: the speaker's logic runs in
// the test process, which talks to this process in JSON lines.
//
//   stdin   {"send": "<hex>"}    write these bytes (as they are: any garbage goes)
//           {"end": true}        half-close (FIN)
//           {"destroy": true}    reset the connection (RST)
//   stdout  {"listening": {"address", "port"}}
//           {"connected": {"local", "remote"}, "t"}
//           {"received": {"hex", "t"}}   one whole BGP message, framed by its header's Length
//           {"unframed": {"hex", "t"}}   bytes after a header that cannot be framed (bad marker or
//                                        length); from then on every chunk is passed on like this
//           {"sent": {"length", "t"}}    a "send" was handed to the kernel
//           {"error": {"message", "t"}}
//           {"closed": {"t"}}            then the process exits
//
// t = performance.timeOrigin + performance.now(): milliseconds since the
// epoch, taken when the bytes were read, comparable with the test process's.
// Nagle is off, so each "send" leaves as soon as it is written.

import net from 'node:net';
import readline from 'node:readline';
import type { BgpContext } from '../../src/wire/bgp-context.js';
import { messageLengthAt } from '../../src/wire/bgp-header.js';

interface ConnectConfig {
  connect: { host: string; port: number; localAddress?: string };
}
interface ListenConfig {
  listen: { address: string; port: number };
}
type Config = ConnectConfig | ListenConfig;

/** Framing only: accept every length a session could have negotiated (RFC 8654 extended messages). */
const FRAMING_CONTEXT: BgpContext = { as4: true, extendedMessage: true, addPath: new Set<string>() };

function now(): number {
  return performance.timeOrigin + performance.now();
}

function emit(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function address(host: string | undefined, port: number | undefined): string {
  return `${host ?? '?'}:${port ?? '?'}`;
}

const config = JSON.parse(process.argv[2] ?? '{}') as Config;
let socket: net.Socket | undefined;
let server: net.Server | undefined;
let closed = false;

function finish(): void {
  if (closed) return;
  closed = true;
  emit({ closed: { t: now() } });
  server?.close();
  // Let stdout drain before exiting.
  process.stdout.write('', () => process.exit(0));
}

function attach(s: net.Socket): void {
  socket = s;
  s.setNoDelay(true);
  emit({ connected: { local: address(s.localAddress, s.localPort), remote: address(s.remoteAddress, s.remotePort) }, t: now() });
  let pending: Buffer = Buffer.alloc(0);
  let framing = true;
  s.on('data', (chunk: Buffer) => {
    const t = now();
    if (!framing) {
      emit({ unframed: { hex: chunk.toString('hex'), t } });
      return;
    }
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let o = 0;
    for (;;) {
      let length: number | undefined;
      try {
        length = messageLengthAt(pending, o, FRAMING_CONTEXT);
      } catch {
        framing = false;
        emit({ unframed: { hex: pending.subarray(o).toString('hex'), t } });
        o = pending.length;
        break;
      }
      if (length === undefined || pending.length - o < length) break;
      emit({ received: { hex: pending.subarray(o, o + length).toString('hex'), t } });
      o += length;
    }
    pending = pending.subarray(o);
  });
  s.on('error', (e) => emit({ error: { message: e.message, t: now() } }));
  s.on('close', finish);
}

if ('connect' in config) {
  const c = config.connect;
  const options: net.NetConnectOpts = { host: c.host, port: c.port };
  if (c.localAddress !== undefined) options.localAddress = c.localAddress;
  const s = net.connect(options);
  s.once('connect', () => attach(s));
  s.once('error', (e) => {
    if (socket === undefined) {
      emit({ error: { message: e.message, t: now() } });
      finish();
    }
  });
} else if ('listen' in config) {
  const l = config.listen;
  server = net.createServer({ pauseOnConnect: false }, (s) => {
    if (socket !== undefined) {
      // One session per speaker: a second connection (a collision) is refused.
      s.destroy();
      return;
    }
    attach(s);
  });
  server.on('error', (e) => {
    emit({ error: { message: e.message, t: now() } });
    finish();
  });
  server.listen({ host: l.address, port: l.port }, () => {
    const a = server!.address();
    emit({ listening: typeof a === 'object' && a !== null ? { address: a.address, port: a.port } : { address: String(a) } });
  });
} else {
  emit({ error: { message: `bad config: ${process.argv[2] ?? ''}`, t: now() } });
  finish();
}

const input = readline.createInterface({ input: process.stdin });
input.on('line', (line) => {
  if (line.trim() === '') return;
  let cmd: { send?: string; end?: boolean; destroy?: boolean };
  try {
    cmd = JSON.parse(line) as typeof cmd;
  } catch {
    emit({ error: { message: `not JSON: ${line.slice(0, 200)}`, t: now() } });
    return;
  }
  const s = socket;
  if (s === undefined || s.destroyed) {
    emit({ error: { message: 'not connected', t: now() } });
    return;
  }
  if (cmd.send !== undefined) {
    const bytes = Buffer.from(cmd.send, 'hex');
    s.write(bytes, () => emit({ sent: { length: bytes.length, t: now() } }));
  } else if (cmd.end) {
    s.end();
  } else if (cmd.destroy) {
    s.resetAndDestroy();
  }
});
// The test process went away (or closed our stdin): so do we.
input.on('close', () => {
  socket?.destroy();
  finish();
});

// The pure-JS fallback for the dataplane's I/O (DESIGN.md "Native I/O"):
// keeps vxswitch usable where the native addon cannot build, as a VTEP whose
// underlay is a node:dgram socket. Its limits, said once in the warning:
// no AF_PACKET and no TAP ports (Node has neither), one UDP source port for
// every datagram (dgram cannot choose one per packet, so ECMP underlays see
// a single flow), DF left to the kernel's default, and a copy and a callback
// per datagram instead of batched syscalls.

import dgram from 'node:dgram';
import { once } from 'node:events';
import { networkInterfaces } from 'node:os';
import { isIPv4, isIPv6 } from 'node:net';
import {
  loadNativeIo,
  RX_ALIGN,
  readAddress,
  writeAddress,
  type DatagramTx,
  type IoStats,
  type NativeIo,
  type PacketPort,
  type ReadableCallback,
  type RxBatch,
  type TapPort,
  type UdpUnderlay,
  type UdpUnderlayOptions,
} from './native-io.js';

/** Datagrams held between 'message' events and receive(); more are dropped and counted. */
const QUEUE_MAX = 4096;

function unavailable(what: string, name: string, reason: string): Error {
  return new Error(
    `${what} ${name}: needs the native I/O addon, which did not load (${reason}). ` +
      'Build it with `npm install` (needs python3, make and a C compiler).',
  );
}

function newStats(): IoStats {
  return {
    rxFrames: 0,
    rxBytes: 0,
    rxTruncated: 0,
    txFrames: 0,
    txBytes: 0,
    txErrors: 0,
    txQueueFull: 0,
    lastTxError: '',
  };
}

/** The first address of the family on interface ifname (dgram names interfaces by address). */
function interfaceAddress(ifname: string, family: 4 | 6): string {
  const addrs = networkInterfaces()[ifname];
  const found = addrs?.find((a) => a.family === (family === 4 ? 'IPv4' : 'IPv6'));
  if (!found) throw new Error(`UDP multicastInterface ${ifname}: no IPv${family} address on that interface`);
  // IPv6 multicast interfaces are given to dgram as a scope (RFC 4007 zone).
  return family === 4 ? found.address : `::%${ifname}`;
}

class JsUdpUnderlay implements UdpUnderlay {
  readonly fd = -1;
  readonly addressStride: 1 | 4;
  readonly port: number;
  private readonly queue: (Buffer | undefined)[] = new Array<Buffer | undefined>(QUEUE_MAX);
  private readonly queueAddr: string[] = new Array<string>(QUEUE_MAX);
  private readonly queuePort = new Uint32Array(QUEUE_MAX);
  private head = 0;
  private size = 0;
  private callback: ReadableCallback | undefined;
  private scheduled = false;
  private isClosed = false;
  private readonly st = newStats();
  /** Datagrams lost because the queue was full (the fallback's socket-buffer overflow). */
  queueDrops = 0;

  constructor(
    private readonly socket: dgram.Socket,
    readonly family: 4 | 6,
    readonly address: string,
    private readonly multicastInterface: string | undefined,
  ) {
    this.addressStride = family === 4 ? 1 : 4;
    this.port = socket.address().port;
    socket.unref(); // like an fd that is not polled: does not keep the process alive
    socket.on('message', (msg, rinfo) => {
      if (this.size === QUEUE_MAX) {
        this.queueDrops++;
        return;
      }
      const at = (this.head + this.size) % QUEUE_MAX;
      this.queue[at] = msg;
      this.queueAddr[at] = rinfo.address;
      this.queuePort[at] = rinfo.port;
      this.size++;
      this.schedule();
    });
    socket.on('error', (err) => {
      if (this.callback) this.callback(err);
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  private schedule(): void {
    if (this.scheduled || !this.callback || this.size === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.callback && this.size > 0 && !this.isClosed) {
        this.callback(null);
        this.schedule(); // level-triggered, as the native handles are
      }
    });
  }

  /** dgram reports no ingress interface: ifindexes are 0 (unknown), so the member-port check cannot apply. */
  receive(batch: RxBatch, srcAddrs: Uint32Array, srcPorts: Uint32Array, max = batch.slots, ifindexes?: Uint32Array): number {
    if (this.isClosed) throw new Error(`closed handle ${this.address}:${this.port}`);
    const stride = Math.ceil((batch.headroom + batch.frameMax) / RX_ALIGN) * RX_ALIGN;
    const n = Math.min(max, this.size, batch.slots, Math.floor((batch.buffer.length - batch.frameMax - batch.headroom) / stride) + 1);
    for (let i = 0; i < n; i++) {
      const msg = this.queue[this.head]!;
      this.queue[this.head] = undefined;
      batch.offsets[i] = i * stride + batch.headroom;
      if (msg.length > batch.frameMax) {
        batch.lengths[i] = 0;
        this.st.rxTruncated++;
      } else {
        msg.copy(batch.buffer, batch.offsets[i]);
        batch.lengths[i] = msg.length;
        this.st.rxFrames++;
        this.st.rxBytes += msg.length;
      }
      writeAddress(this.queueAddr[this.head]!, srcAddrs, i);
      srcPorts[i] = this.queuePort[this.head]!;
      if (ifindexes !== undefined) ifindexes[i] = 0;
      this.head = (this.head + 1) % QUEUE_MAX;
      this.size--;
    }
    return n;
  }

  send(tx: DatagramTx): number {
    if (this.isClosed) throw new Error(`closed handle ${this.address}:${this.port}`);
    const src = tx.src;
    if (src === null) return 0;
    for (let i = 0; i < tx.count; i++) {
      // dgram may send after this returns and the caller reuses its buffer
      // at once: copy. (The source port is the socket's: dgram has no other.)
      const from = tx.sel[i] === 1 ? tx.arena : src;
      const payload = Buffer.from(from.subarray(tx.offsets[i]!, tx.offsets[i]! + tx.lengths[i]!));
      const len = payload.length;
      this.socket.send(payload, tx.dstPorts[i]!, readAddress(tx.dstAddrs, i, this.family), (err) => {
        if (err) {
          this.st.txErrors++;
          this.st.lastTxError = (err as NodeJS.ErrnoException).code ?? err.message;
        } else {
          this.st.txFrames++;
          this.st.txBytes += len;
        }
      });
    }
    return tx.count;
  }

  addMembership(group: string, ifname?: string): void {
    const iface = ifname ?? this.multicastInterface;
    this.socket.addMembership(group, iface === undefined ? undefined : interfaceAddress(iface, this.family));
  }

  dropMembership(group: string, ifname?: string): void {
    const iface = ifname ?? this.multicastInterface;
    this.socket.dropMembership(group, iface === undefined ? undefined : interfaceAddress(iface, this.family));
  }

  stats(): IoStats {
    return { ...this.st };
  }

  onReadable(callback: ReadableCallback): void {
    if (this.isClosed) throw new Error(`closed handle ${this.address}:${this.port}`);
    this.callback = callback;
    this.socket.ref();
    this.schedule();
  }

  stopReadable(): void {
    this.callback = undefined;
    if (!this.isClosed) this.socket.unref();
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.callback = undefined;
    this.socket.close();
  }
}

/** A NativeIo without the addon; reason says why the addon is missing. */
export function createJsFallbackIo(reason: string): NativeIo {
  return {
    kind: 'js-fallback',
    openPacket(ifname: string): PacketPort {
      throw unavailable('AF_PACKET port', ifname, reason);
    },
    openTap(name: string): TapPort {
      throw unavailable('TAP port', name, reason);
    },
    async openUdp(options: UdpUnderlayOptions): Promise<UdpUnderlay> {
      const { address } = options;
      if (!isIPv4(address) && !isIPv6(address)) throw new TypeError('address must be the VTEP\'s IPv4 or IPv6 address');
      if (options.netns) throw unavailable('UDP underlay in netns', options.netns, reason);
      const family = isIPv4(address) ? 4 : 6;
      const socket = dgram.createSocket({
        type: family === 4 ? 'udp4' : 'udp6',
        ipv6Only: family === 6,
        ...(options.rcvbuf ? { recvBufferSize: options.rcvbuf } : {}),
        ...(options.sndbuf ? { sendBufferSize: options.sndbuf } : {}),
      });
      const port = options.port ?? 4789;
      try {
        socket.bind({ address: options.bindAddress ?? address, port, exclusive: true });
        await once(socket, 'listening');
      } catch (err) {
        socket.close();
        const e = err as NodeJS.ErrnoException;
        throw new Error(`UDP bind ${options.bindAddress ?? address}:${port}: ${e.code ?? ''} (${e.message})`, {
          cause: err,
        });
      }
      socket.setTTL(options.ttl ?? 64);
      socket.setMulticastTTL(options.multicastTtl ?? 1);
      socket.setMulticastLoopback(false);
      const mcif = options.multicastInterface;
      if (mcif !== undefined) socket.setMulticastInterface(interfaceAddress(mcif, family));
      return new JsUdpUnderlay(socket, family, address, mcif);
    },
  };
}

let warned = false;

export interface LoadIoOptions {
  /** Where the one warning goes (default: process.emitWarning). */
  warn?: (message: string) => void;
  /** How the addon is loaded (default loadNativeIo; tests replace it). */
  load?: () => NativeIo;
}

/**
 * The dataplane's I/O: the native addon when it loads, else the JS fallback,
 * with one clear warning per process saying what is lost.
 */
export function loadIo(options: LoadIoOptions = {}): NativeIo {
  const load = options.load ?? loadNativeIo;
  try {
    return load();
  } catch (err) {
    const reason = (err as Error).message;
    if (!warned) {
      warned = true;
      const message =
        `vxswitch: ${reason}. Using the pure-JS fallback: no AF_PACKET or TAP ports, ` +
        'the UDP underlay through node:dgram (one source port for all flows, no batching, slower). ' +
        'Build the addon with `npm install` (needs python3, make and a C compiler).';
      if (options.warn) options.warn(message);
      else process.emitWarning(message, { code: 'VXSWITCH_NO_NATIVE_IO' });
    }
    return createJsFallbackIo(reason);
  }
}

// An rtnetlink socket (the native addon's openNetlink, src/dataplane/native/
// netlink.c) with types, plus the two chores of talking to the kernel over
// it: sequence numbers, and packing many requests into one datagram.
//
// The addon only makes the syscalls; messages are built and parsed with the
// codecs in src/wire (rtnetlink-message.ts). There is no JS fallback: Node
// has no AF_NETLINK, so without the addon the next-hop resolver does not
// open and the dataplane keeps sending through the kernel's IP stack.

import { createRequire } from 'node:module';
import { align4 } from '../wire/netlink-header.js';
import * as rtnetlinkMessage from '../wire/rtnetlink-message.js';
import type { RtnetlinkMessage } from '../wire/rtnetlink-message.js';
import { nativeAddonPath, type ReadableCallback } from './native-io.js';

export interface NetlinkSocketOptions {
  /** Open in this network namespace (a name under /run/netns, or a path). */
  netns?: string;
  /** SO_RCVBUF in bytes (default 8 MiB: an overflow loses notifications, netlink.c). */
  rcvbuf?: number;
}

interface AddonNetlinkHandle {
  readonly fd: number;
  readonly portId: number;
  readonly name: string;
  send(buf: Buffer, offset: number, length: number): number;
  recv(buf: Buffer): number;
  startPolling(cb: ReadableCallback): void;
  stopPolling(): void;
  close(): void;
  isOpen(): boolean;
}

interface NetlinkAddon {
  openNetlink(groups: readonly number[], options: NetlinkSocketOptions): AddonNetlinkHandle;
}

function loadAddon(): NetlinkAddon {
  const file = nativeAddonPath();
  let addon: Partial<NetlinkAddon>;
  try {
    addon = createRequire(import.meta.url)(file) as Partial<NetlinkAddon>;
  } catch (cause) {
    throw new Error(`rtnetlink needs the native addon, which did not load from ${file}: ${(cause as Error).message}`, { cause });
  }
  if (typeof addon.openNetlink !== 'function') {
    throw new Error(`the native addon at ${file} has no rtnetlink socket (rebuild it: npm rebuild)`);
  }
  return addon as NetlinkAddon;
}

/**
 * The largest datagram read: the kernel fills dump datagrams up to 32 KiB
 * (netlink_dump()), notifications are far smaller.
 */
export const NETLINK_RECEIVE_BUFFER = 64 * 1024;
/** Requests are packed into datagrams of at most this much. */
const SEND_BUFFER = 32 * 1024;

/**
 * True when err is the socket saying it lost messages (ENOBUFS: its receive
 * buffer overflowed) or could not hand one over whole (EMSGSIZE): what the
 * caller knows may be stale, and it must read the tables again.
 */
export function isOverrun(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOBUFS' || code === 'EMSGSIZE';
}

export class NetlinkSocket {
  /** The port id the kernel gave this socket: nlmsg_pid of the replies to our requests. */
  readonly portId: number;
  private readonly h: AddonNetlinkHandle;
  private readonly out = Buffer.alloc(SEND_BUFFER);
  private queued = 0;
  private seq = 0;

  private constructor(h: AddonNetlinkHandle) {
    this.h = h;
    this.portId = h.portId;
  }

  /** A socket that joins `groups` (RtnlGroup numbers). Throws when the addon is missing or the kernel refuses. */
  static open(groups: readonly number[], options: NetlinkSocketOptions = {}): NetlinkSocket {
    return new NetlinkSocket(loadAddon().openNetlink(groups, options));
  }

  get closed(): boolean {
    return !this.h.isOpen();
  }

  /** The next sequence number (never 0: notifications the kernel makes on its own carry 0). */
  nextSeq(): number {
    this.seq = this.seq >= 0xffffffff ? 1 : this.seq + 1;
    return this.seq;
  }

  /**
   * Queue a request; it goes out with the next flush(), packed with the
   * others into as few datagrams as fit (the kernel answers each in turn).
   */
  queue(message: RtnetlinkMessage): void {
    const length = align4(rtnetlinkMessage.encodingLength(message));
    if (length > SEND_BUFFER) throw new RangeError(`a netlink request of ${length} bytes is larger than ${SEND_BUFFER}`);
    if (this.queued + length > SEND_BUFFER) this.flush();
    rtnetlinkMessage.encode(message, this.out, this.queued);
    this.out.fill(0, this.queued + rtnetlinkMessage.encode.bytes, this.queued + length);
    this.queued += length;
  }

  /** Send what queue() collected. Throws the socket's error (the queue is emptied either way). */
  flush(): void {
    const n = this.queued;
    this.queued = 0;
    if (n > 0) this.h.send(this.out, 0, n);
  }

  /** Read one datagram into buf; its length, 0 when none waits. Throws ENOBUFS / EMSGSIZE (isOverrun). */
  receive(buf: Buffer): number {
    return this.h.recv(buf);
  }

  /** Call back when readable (err set when the socket reported an error, e.g. ENOBUFS). */
  onReadable(callback: ReadableCallback): void {
    this.h.startPolling(callback);
  }

  close(): void {
    this.queued = 0;
    this.h.close();
  }
}

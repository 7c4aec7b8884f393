// TCP MD5 signatures (RFC 2385) and GTSM (RFC 5082) for BGP sockets,
// through the native addon (src/dataplane/native/tcp.c): Node has no
// setsockopt for TCP_MD5SIG or IP_MINTTL, and both must be in place before
// the SYN leaves, which Node's connect() does not allow for. The addon makes
// such a connection itself and hands over the connected fd, wrapped here in
// a net.Socket. Linux only.

import { closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';

/** RFC 5082 §3: send with TTL 255, accept only TTL 255 (a directly connected peer). */
export const GTSM_TTL = 255;

interface TcpAddon {
  tcpConnect(
    options: {
      remoteAddress: string;
      remotePort: number;
      localAddress?: string;
      localPort?: number;
      md5Key?: Buffer;
      ttl?: number;
      minTtl?: number;
    },
    callback: (err: Error | null, fd?: number) => void,
  ): { cancel(): void };
  tcpSetMd5(fd: number, peerAddress: string, key: Buffer): void;
  tcpSetTtlSecurity(fd: number, ttl: number, minTtl: number): void;
}

let cached: TcpAddon | Error | undefined;
let addonFile: string | undefined = process.env['VXSWITCH_NATIVE_IO'];

/**
 * Where the native addon is (the daemon passes the dataplane's
 * nativeAddonPath()): the control plane does not import the dataplane, so
 * the one native library both use is handed in by the layer above.
 */
export function setNativeAddonPath(file: string): void {
  addonFile = file;
  cached = undefined;
}

function load(): TcpAddon | Error {
  if (cached !== undefined) return cached;
  const file = addonFile;
  if (file === undefined) {
    return new Error('TCP MD5 / GTSM need the native addon, and no addon path was configured');
  }
  try {
    const addon = createRequire(import.meta.url)(file) as Partial<TcpAddon>;
    cached =
      typeof addon.tcpConnect === 'function'
        ? (addon as TcpAddon)
        : new Error(`the native addon at ${file} has no TCP options (rebuild it: npm rebuild)`);
  } catch (cause) {
    cached = new Error(`TCP MD5 / GTSM need the native addon, which did not load from ${file}: ${(cause as Error).message}`, { cause });
  }
  return cached;
}

function addon(): TcpAddon {
  const a = load();
  if (a instanceof Error) throw a;
  return a;
}

/** Whether MD5 and GTSM can be used here (the addon loaded and has them). */
export function tcpSecurityAvailable(): boolean {
  return !(load() instanceof Error);
}

/**
 * The file descriptor under a Node socket or server: libuv's handle keeps
 * it as `_handle.fd` on Linux (Node exposes no public accessor).
 */
export function socketFd(s: net.Socket | net.Server): number {
  const handle = (s as unknown as { _handle?: { fd?: unknown } | null })._handle;
  const fd = handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('this socket has no file descriptor (not open, or not Linux)');
  return fd;
}

/** RFC 2385 key for connections with `peerAddress` on a socket or listener; null removes it. */
export function setTcpMd5(target: net.Socket | net.Server, peerAddress: string, key: string | null): void {
  addon().tcpSetMd5(socketFd(target), peerAddress, Buffer.from(key ?? '', 'utf8'));
}

/**
 * RFC 5082 on a socket: outgoing TTL (hop limit) 255, and with `minTtl`
 * incoming packets below 255 dropped by the kernel.
 */
export function setTtlSecurity(target: net.Socket | net.Server, options: { ttl: boolean; minTtl: boolean }): void {
  addon().tcpSetTtlSecurity(socketFd(target), options.ttl ? GTSM_TTL : 0, options.minTtl ? GTSM_TTL : 0);
}

export interface SecureConnectOptions {
  remoteAddress: string;
  remotePort: number;
  localAddress?: string;
  localPort?: number;
  /** RFC 2385 password. */
  md5Password?: string;
  /** RFC 5082. */
  ttlSecurity?: boolean;
}

/**
 * Connect with MD5 and/or GTSM set before the SYN. The callback gets the
 * connected socket, or the connect error (ECONNREFUSED, ...). cancel()
 * abandons an attempt still in progress (no callback then). Throws at once
 * when the addon is missing or the socket cannot be set up.
 */
export function connectSecure(
  options: SecureConnectOptions,
  callback: (err: Error | null, socket?: net.Socket) => void,
): { cancel(): void } {
  const o: Parameters<TcpAddon['tcpConnect']>[0] = { remoteAddress: options.remoteAddress, remotePort: options.remotePort };
  if (options.localAddress !== undefined) o.localAddress = options.localAddress;
  if (options.localPort !== undefined) o.localPort = options.localPort;
  if (options.md5Password !== undefined) o.md5Key = Buffer.from(options.md5Password, 'utf8');
  if (options.ttlSecurity === true) {
    o.ttl = GTSM_TTL;
    o.minTtl = GTSM_TTL;
  }
  return addon().tcpConnect(o, (err, fd) => {
    if (err !== null || fd === undefined) {
      callback(err ?? new Error('connect failed'));
      return;
    }
    let socket: net.Socket;
    try {
      socket = new net.Socket({ fd, readable: true, writable: true });
    } catch (e) {
      closeSync(fd);
      callback(e as Error);
      return;
    }
    callback(null, socket);
  });
}

// "host:port" listen addresses of the daemon's TCP endpoints (metrics), the
// way Prometheus exporters write them: "127.0.0.1:9273", "[::1]:9273",
// "0.0.0.0:9273". The host must be a literal IP: the daemon binds before any
// resolver is configured, and a name that resolves differently later would
// silently move the endpoint.

import { isIP } from 'node:net';

export interface ListenAddress {
  host: string;
  port: number;
}

/** The address, or null when text is not "IPv4:port" or "[IPv6]:port" with port 1..65535. */
export function parseListenAddress(text: string): ListenAddress | null {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (m === null) return null;
  const host = m[1] ?? m[2]!;
  // Brackets only around IPv6, a bare host only IPv4 (the port would be ambiguous otherwise).
  if (isIP(host) !== (m[1] !== undefined ? 6 : 4)) return null;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return null;
  return { host, port };
}

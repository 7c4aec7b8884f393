// What the running daemon may do beyond an ordinary user (capabilities(7)),
// read from /proc/self/status, so the start-up log says whether it runs
// with only what it needs or as full root (issue 9 item 17).
import { readFileSync } from 'node:fs';

// include/uapi/linux/capability.h, bit -> name.
const NAMES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK',
  'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE',
  'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

/**
 * What vxswitch uses: AF_PACKET ports and the raw underlay sockets
 * (CAP_NET_RAW), TAP devices, promiscuous mode and AF_XDP (CAP_NET_ADMIN),
 * BGP on port 179 (CAP_NET_BIND_SERVICE). A SIGHUP reload opens new ports
 * and sockets with the same three.
 */
export const NEEDED_CAPABILITIES: readonly string[] = ['CAP_NET_BIND_SERVICE', 'CAP_NET_ADMIN', 'CAP_NET_RAW'];

/** The names set in a /proc/PID/status capability mask ("0000000000003400"). */
export function capabilityNames(mask: string): string[] {
  const bits = BigInt(`0x${mask}`);
  const out: string[] = [];
  for (let i = 0; i < 64; i++) if (((bits >> BigInt(i)) & 1n) === 1n) out.push(NAMES[i] ?? `CAP_${i}`);
  return out;
}

export interface Privileges {
  uid: number;
  /** Effective capabilities (CapEff). */
  effective: string[];
  /** Effective capabilities beyond NEEDED_CAPABILITIES. */
  extra: string[];
}

/** The calling process's uid and effective capabilities (Linux /proc). */
export function ownPrivileges(status = readFileSync('/proc/self/status', 'utf8')): Privileges {
  const field = (name: string): string => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim() ?? '';
  const effective = capabilityNames(field('CapEff') || '0');
  return { uid: Number(field('Uid').split(/\s+/)[1] ?? -1), effective, extra: effective.filter((c) => !NEEDED_CAPABILITIES.includes(c)) };
}

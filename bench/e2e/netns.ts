// Commands the end-to-end bench runs: ip/ethtool/sysfs inside its network
// namespaces, every one bounded in time, and the child processes it starts,
// tracked so an interrupted run can still end them; daemons that detach
// (Open vSwitch) register a synchronous cleanup instead (trackCleanup).

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Run a command to completion (10 s at most); resolves stdout, rejects with its stderr. */
export function run(cmd: string, args: string[], timeoutMs = 10_000, env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'utf8', timeout: timeoutMs, env: env ?? process.env }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

/** Run a command inside network namespace ns (ip netns exec remounts /sys for it). */
export function nsRun(ns: string, cmd: string, args: string[], timeoutMs?: number): Promise<string> {
  return run('ip', ['netns', 'exec', ns, cmd, ...args], timeoutMs);
}

/** `ip -n ns ...` */
export function ipn(ns: string, ...args: string[]): Promise<string> {
  return run('ip', ['-n', ns, ...args]);
}

/** Write a value to a /proc/sys or /sys file as seen from inside ns. */
export function nsWrite(ns: string, file: string, value: string): Promise<string> {
  return nsRun(ns, 'sh', ['-c', `echo ${value} > ${file}`]);
}

/** An interface's counter from /sys/class/net/IF/statistics, read inside ns. */
export async function ifStat(ns: string, ifname: string, stat: string): Promise<number> {
  const text = await nsRun(ns, 'cat', [`/sys/class/net/${ifname}/statistics/${stat}`]);
  return Number(text.trim());
}

/** Is an executable on PATH (the bench's external tools: ip, taskset, ethtool, iperf3)? */
export function onPath(tool: string): boolean {
  return (process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin')
    .split(':')
    .concat(['/usr/sbin', '/sbin'])
    .some((dir) => existsSync(`${dir}/${tool}`));
}

const children = new Set<ChildProcess>();

/** Spawn a child the bench must end on exit; it is forgotten once it exits. */
export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Spawn a tracked child (stdio: stdin ignored, stdout piped, stderr piped). */
export function start(cmd: string, args: string[], env?: NodeJS.ProcessEnv): ChildProcess {
  return track(spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env }));
}

const cleanups = new Set<() => void>();

/**
 * Register a synchronous cleanup for something that is not a tracked child
 * (a detached daemon, a temp dir): it runs on endChildren() and
 * killChildrenNow(), so an interrupted or failed run still ends it. Returns
 * the function that unregisters it (call it once the normal stop is done).
 */
export function trackCleanup(fn: () => void): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

function runCleanups(): void {
  for (const fn of [...cleanups]) {
    cleanups.delete(fn);
    try {
      fn();
    } catch {
      // best effort on the way out
    }
  }
}

/** SIGTERM every child still running, then SIGKILL what is left after graceMs; then the registered cleanups. */
export async function endChildren(graceMs = 2000): Promise<void> {
  runCleanups();
  const left = [...children].filter((c) => c.exitCode === null && c.signalCode === null);
  for (const c of left) c.kill('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && left.some((c) => c.exitCode === null && c.signalCode === null)) {
    await new Promise((r) => setTimeout(r, 20));
  }
  for (const c of left) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

/** Synchronous variant for process 'exit' handlers: SIGKILL every child still running. */
export function killChildrenNow(): void {
  runCleanups();
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

/** Resolve with a child's exit code (null when killed by a signal); reject after timeoutMs, killing it. */
export function waitExit(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve(child.exitCode);
      return;
    }
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${child.spawnargs.join(' ')}: no exit within ${timeoutMs} ms, killed`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** Collect a child's stdout (and stderr) as text. */
export function collect(child: ChildProcess): { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  // Bounded: keep the last 64 KiB of each.
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out = (out + d).slice(-65536)));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-65536)));
  return { stdout: () => out, stderr: () => err };
}

/**
 * Nice value for the processes that carry the measurement (generator, switch
 * process, iperf3). The machine may be shared: at the default -20 other
 * work on the same cores cannot take the CPU from them, which approximates
 * the dedicated cores the pinning assumes. 0 runs them as they are.
 */
let niceValue = -20;

export function setNice(n: number): void {
  if (!Number.isInteger(n) || n < -20 || n > 19) throw new RangeError(`nice ${n} is not an integer -20..19`);
  niceValue = n;
}

export function currentNice(): number {
  return niceValue;
}

/** argv with `nice -n N` in front when a nice value is set, split as spawn() wants it. */
export function niceCmd(argv: string[]): [string, string[]] {
  if (niceValue === 0) return [argv[0]!, argv.slice(1)];
  return ['nice', ['-n', String(niceValue), ...argv]];
}

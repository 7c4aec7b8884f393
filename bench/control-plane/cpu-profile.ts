// Where vxswitch spends its time while loading routes: self time per
// function from the V8 CPU profiles that `node --cpu-prof` writes when the
// daemon exits, counting only the samples inside the load window (so the
// start-up and the withdrawal of everything at shutdown do not count).

import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export interface ProfileRow {
  functionName: string;
  /** file:line of the function. */
  location: string;
  selfMs: number;
  /** Share of all samples (idle included) in the windows. */
  selfShare: number;
}

/** The .cpuprofile files in dir. */
export async function listProfiles(dir: string | undefined): Promise<string[]> {
  if (dir === undefined) return [];
  return (await readdir(dir).catch(() => [])).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(dir, f));
}

/** Files in after that were not in before. */
export function newProfiles(after: string[], before: string[]): string[] {
  const seen = new Set(before);
  return after.filter((f) => !seen.has(f));
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  /** CLOCK_MONOTONIC microseconds. */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileInput {
  file: string;
  /** Count only samples taken inside [from, to] (CLOCK_MONOTONIC µs); absent: all. */
  window?: [number, number];
}

/** Self time per function (name + location) over V8 .cpuprofile files, heaviest first. */
export async function summarizeProfiles(inputs: readonly ProfileInput[], top = 25): Promise<ProfileRow[]> {
  const self = new Map<string, { functionName: string; location: string; us: number }>();
  let total = 0;
  for (const { file, window } of inputs) {
    const p = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    let t = p.startTime;
    for (let i = 0; i < p.samples.length; i++) {
      const dt = p.timeDeltas[i] ?? 0;
      t += dt;
      if (window !== undefined && (t < window[0] || t > window[1])) continue;
      total += dt;
      const n = byId.get(p.samples[i]!);
      if (n === undefined) continue;
      const cf = n.callFrame;
      const url = cf.url.replace(/^file:\/\//, '').replace(/^.*\/dist\//, 'dist/');
      const location = url === '' ? '' : `${url}:${cf.lineNumber + 1}`;
      const name = cf.functionName || '(anonymous)';
      const key = `${name}@${location}`;
      const e = self.get(key) ?? { functionName: name, location, us: 0 };
      e.us += dt;
      self.set(key, e);
    }
  }
  return [...self.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({ functionName: e.functionName, location: e.location, selfMs: e.us / 1000, selfShare: total > 0 ? e.us / total : 0 }));
}

// The MAC+VNI forwarding table (FDB): which local port or remote VTEP a
// destination MAC lives behind, per VNI.
//
// Layout. Open addressing with linear probing over one Int32Array of 4 words
// (16 bytes) per slot, so a slot never straddles a 64-byte cache line and one
// line holds 4 consecutive probe positions:
//   w0 = VNI << 8 | flags   (flags low byte; 0 means the slot is empty)
//   w1 = MAC bytes 0-1      (16 bits)
//   w2 = MAC bytes 2-5      (32 bits, as int32)
//   w3 = local port index, or remote VTEP index (vtep-table.ts)
// A lookup touches only this array. The last-seen tick and the MAC mobility
// sequence number (RFC 7432 §15) live in two side arrays touched by learning
// and aging only.
//
// Why linear probing: the table is sized from the global limit to a load
// factor of at most 0.5, where linear probing averages about 1.5 probes for a
// hit and 2.5 for a miss (Knuth), and consecutive probes usually fall in the
// same cache line, so a lookup in a table far larger than the CPU cache costs
// about one miss. Robin Hood probing mainly pays off at high load factors
// (shorter worst-case chains, earlier miss termination), which the limit keeps
// us away from, and it costs a stored or recomputed probe distance on every
// probe step and more work per insert.
//
// Why backward-shift deletion: aging removes entries all the time. Tombstones
// would lengthen probe chains until a full rehash, an O(capacity) pause on a
// 2-million-slot table, exactly what the incremental sweep exists to avoid.
// Backward shift leaves the table as if the entry had never been inserted.
//
// Hash flooding: source MACs come from untrusted hosts, so the hash is a
// murmur3-style mix keyed by a per-table random seed, and the per-VNI limit
// caps how much of the table one tenant can fill.
//
// Tenants and the control plane (docs/fdb-limits.md): data-plane learning is
// bounded three ways, so one tenant cannot starve the others or the control
// plane: each VNI learns at most its share (default a quarter of the table),
// all learned entries together stay out of the room reserved for
// control-plane and static entries (default an eighth of the table), and each
// local port learns at most `learnRate` new MACs per tick (a token bucket on
// the coarse clock; every new local MAC becomes an EVPN Type 2 route to every
// peer, so this also bounds what a host can make us advertise). Refusals are
// counted per reason, per VNI and per port, and reported at most once per
// interval.
//
// Fast path methods (lookup, learnLocal, learnRemote, sweep, the slot
// accessors) use integer math on typed arrays and allocate nothing, except
// when they emit an event (a new MAC, a move, an age-out, a limit report),
// which happens at control-plane rate. A refresh of a known MAC neither
// allocates nor emits. Slot numbers returned by lookup() are valid until the
// next call that changes the table.

import { randomInt } from 'node:crypto';
import { formatIpv4, formatIpv6 } from '../wire/ip-address.js';
import { formatMac, isGroupMac, parseMac } from '../wire/mac-address.js';
import { FloodLists } from './flood-list.js';
import { VniIndex, MAX_VNI } from './vni-index.js';
import { VtepTable } from './vtep-table.js';
import { SeqLock } from './seqlock.js';

// ---- the shared buffer (fdb-view.ts reads it) ----
/** Header words: the seqlock count, the coarse clock. */
const HEADER_WORDS = 4;
export const H_LOCK = 0;
export const H_TICK = 1;

/** Bytes of the shared buffer of a table of `capacity` slots: header, 4 words per slot, a last-seen tick per slot. */
export function fdbSharedBytes(capacity: number): number {
  return (HEADER_WORDS + capacity * 4 + capacity) * 4;
}

/** The parts of a table's shared buffer, as the writer and the readers view them. */
export function fdbArrays(buffer: SharedArrayBuffer, capacity: number): { header: Int32Array; hot: Int32Array; seen: Uint32Array } {
  return {
    header: new Int32Array(buffer, 0, HEADER_WORDS),
    hot: new Int32Array(buffer, HEADER_WORDS * 4, capacity * 4),
    seen: new Uint32Array(buffer, (HEADER_WORDS + capacity * 4) * 4, capacity),
  };
}

/** A table's shared memory as another thread's reader opens it (Fdb.share()). */
export interface FdbShare {
  buffer: SharedArrayBuffer;
  capacity: number;
  seed: number;
}

/** Octets 0-1 of the MAC at buf[o], the key's w1 (see the layout above). */
export function macHi(buf: Uint8Array, o: number): number {
  return (buf[o]! << 8) | buf[o + 1]!;
}

/** Octets 2-5 of the MAC at buf[o] as an int32, the key's w2. */
export function macLo(buf: Uint8Array, o: number): number {
  return (buf[o + 2]! << 24) | (buf[o + 3]! << 16) | (buf[o + 4]! << 8) | buf[o + 5]!;
}

/**
 * Slot of (vni, hi, lo) probing from `home`, or -1. Bounded by the
 * capacity: the writer's table is never full, but a reader racing a write
 * (fdb-view.ts) could see a cluster without end.
 */
export function probeSlot(hot: Int32Array, mask: number, home: number, vni: number, hi: number, lo: number): number {
  const vk = vni << 8;
  let i = home;
  for (let n = 0; n <= mask; n++) {
    const b = i << 2;
    const w0 = hot[b]!;
    if (w0 === 0) return -1;
    if ((w0 & ~0xff) === vk && hot[b + 2] === lo && hot[b + 1] === hi) return i;
    i = (i + 1) & mask;
  }
  return -1;
}

/** The hash of a key, for readers of the shared table (same function as the table's own). */
export function fdbHash(vni: number, hi: number, lo: number, seed: number): number {
  return hashKey(vni, hi, lo, seed);
}

// ---- flags (low byte of w0) ----
/** Entry kind: the MAC is behind a local port. */
export const FDB_LOCAL = 1;
/** Entry kind: the MAC is behind a remote VTEP. */
export const FDB_REMOTE = 2;
const KIND_MASK = 3;
/** Origin: learned from the data plane (the only origin that ages). */
export const ORIGIN_LEARNED = 0;
/** Origin: installed by the control plane (EVPN Type 2 route). */
export const ORIGIN_CONTROL = 4;
/** Origin: static configuration. */
export const ORIGIN_STATIC = 8;
const ORIGIN_MASK = 12;
/** RFC 7432 §15.2: a sticky (static) MAC never moves by learning. */
export const FLAG_STICKY = 16;

// ---- results of learnLocal / learnRemote ----
/** Group (multicast/broadcast) source MAC: never learned. */
export const LEARN_IGNORED = 0;
/** Known MAC at the same place: last-seen updated, nothing else. */
export const LEARN_REFRESHED = 1;
/** New entry. */
export const LEARN_NEW = 2;
/** Known MAC at a new place (other local port, or remote <-> local). */
export const LEARN_MOVED = 3;
/** Refused: global or per-VNI limit reached (counted, reported at most once per interval). */
export const LEARN_REFUSED_LIMIT = 4;
/** Refused: a static, sticky or control-plane entry holds the MAC and wins. */
export const LEARN_REFUSED_PINNED = 5;
/** Refused: the port's learning rate (new MACs per tick) is used up (counted, reported at most once per interval). */
export const LEARN_REFUSED_RATE = 6;

export type LearnResult =
  | typeof LEARN_IGNORED
  | typeof LEARN_REFRESHED
  | typeof LEARN_NEW
  | typeof LEARN_MOVED
  | typeof LEARN_REFUSED_LIMIT
  | typeof LEARN_REFUSED_PINNED
  | typeof LEARN_REFUSED_RATE;

/** Result of the slow-path (control plane, config) calls. */
export type FdbChange =
  | 'added'
  | 'updated'
  | 'moved'
  | 'unchanged'
  | 'refused-limit'
  | 'refused-static'
  /** The VTEP address is not of the underlay's family (it could only be truncated or mangled on the wire). */
  | 'refused-family'
  /** A group MAC: never an entry (a peer advertising one is ignored, not obeyed). */
  | 'ignored-group';

export type FdbOrigin = 'learned' | 'control' | 'static';

/** Where a MAC is, as reported in events. */
export type FdbLocation = { kind: 'local'; port: number } | { kind: 'remote'; vtep: string; vtepIndex: number };

export interface FdbLimitReport {
  /**
   * 'global': maxEntries; 'vni': the VNI's limit; 'vnis': too many VNIs;
   * 'vteps': VTEP table full; 'learned': learned entries reached
   * maxEntries - controlReserve; 'learn-rate': a port's learning rate
   * (`port` says which; `limit` is new MACs per tick).
   */
  scope: 'global' | 'vni' | 'vnis' | 'vteps' | 'learned' | 'learn-rate';
  vni: number;
  /** The local port, for 'learn-rate'. */
  port?: number;
  limit: number;
  /** Refusals of this scope since the previous report (this one included). */
  refused: number;
  /** All limit refusals since the table was made. */
  total: number;
}

/** Why a learned entry disappeared. */
export type FdbAgedReason = 'aged' | 'flushed' | 'removed';

/**
 * Called synchronously from the table's methods, after the table is updated.
 * A listener may call back into the table.
 */
export interface FdbListener {
  /** A data-plane learn created an entry (local: the control plane advertises it; `ip` when ARP/ND snooping saw one). */
  onLearned?(vni: number, mac: string, where: FdbLocation, ip?: string): void;
  /**
   * The MAC now lives elsewhere: local port change, remote VTEP change by
   * learning, local <-> remote. `seq` is the entry's mobility sequence now;
   * `ip` as for onLearned when a local learn caused the move.
   */
  onMoved?(vni: number, mac: string, from: FdbLocation, to: FdbLocation, seq: number, ip?: string): void;
  /** A data-plane-learned entry is gone (aged out, flushed, or deleted by the operator). */
  onAged?(vni: number, mac: string, was: FdbLocation, reason: FdbAgedReason): void;
  /** A learn or an add was refused by a limit; at most once per interval per scope (and per VNI). */
  onLimit?(report: FdbLimitReport): void;
}

export interface FdbOptions {
  /** Global limit on entries of all kinds; the table is sized from it (load factor <= 0.5). Default 65536. */
  maxEntries?: number;
  /**
   * Default per-VNI limit on data-plane learning (setVniLimit overrides per
   * VNI). Default: a quarter of maxEntries (at least 1), so one tenant
   * cannot fill the shared table.
   */
  maxEntriesPerVni?: number;
  /**
   * Entries kept free of data-plane learning for control-plane (EVPN) and
   * static entries: learned entries of all VNIs together stay below
   * maxEntries - controlReserve. Default: an eighth of maxEntries.
   */
  controlReserve?: number;
  /** New MACs a local port may learn per tick (token bucket refill); 0 = no limit. Default 100. */
  learnRate?: number;
  /** Token bucket depth: new MACs a quiet port may learn at once. Default 10 x learnRate. */
  learnBurst?: number;
  /**
   * Address family of the underlay (4 or 6): remote entries naming a VTEP of
   * the other family are refused ('refused-family'), never installed (the
   * forwarder writes an IPv4 destination from the low 32 bits of an index).
   * Default: any.
   */
  underlayFamily?: 4 | 6;
  /** Most distinct VNIs holding entries at once. Default 4096. */
  maxVnis?: number;
  /** Aging time of data-plane-learned entries, in ticks (1 tick = 1 s by convention). 0 = never. Default 300. */
  agingTicks?: number;
  /** Limit reports are emitted at most once per this many ticks per scope. Default 10. */
  limitReportTicks?: number;
  /** Slots examined by one sweep() call by default. Default: enough to cover the table in agingTicks/4 calls. */
  sweepSlots?: number;
  /** Shared VTEP table (the forwarder interns outer source addresses in it). Default: a new one. */
  vteps?: VtepTable;
  /** Shared flood lists. Default: new ones over `vteps`. */
  floodLists?: FloodLists;
  listener?: FdbListener;
  /** Hash seed (tests pass one for reproducibility). Default: random per table, so colliding MACs cannot be precomputed. */
  seed?: number;
}

/** One entry, as the CLI shows it (`vxswitch fdb`, like `bridge fdb show`). */
export interface FdbEntry {
  vni: number;
  mac: string;
  kind: 'local' | 'remote';
  origin: FdbOrigin;
  sticky: boolean;
  /** Local port index (kind 'local'). */
  port?: number;
  /** Remote VTEP address and index (kind 'remote'). */
  vtep?: string;
  vtepIndex?: number;
  /** RFC 7432 §15 MAC mobility sequence number. */
  seq: number;
  /** Tick of the last data-plane sighting (or of installation). */
  lastSeen: number;
  /** Ticks since lastSeen, at the table's current tick. */
  age: number;
}

export interface FdbCounters {
  entries: number;
  localLearned: number;
  localStatic: number;
  remoteLearned: number;
  remoteControl: number;
  remoteStatic: number;
  /** Data-plane learns that created an entry. */
  learned: number;
  moved: number;
  aged: number;
  refusedGlobalLimit: number;
  refusedVniLimit: number;
  /** Refused because the VNI index or the VTEP table was full. */
  refusedTableFull: number;
  /** Learns refused because a static, sticky or control-plane entry holds the MAC. */
  refusedPinned: number;
  /** Group source MACs seen by learnLocal/learnRemote. */
  ignoredGroup: number;
  /** Learns refused because learned entries reached maxEntries - controlReserve. */
  refusedControlReserve: number;
  /** Local learns refused by the per-port learning rate. */
  refusedLearnRate: number;
  /** Remote installs refused because the VTEP is not of the underlay's family. */
  refusedFamily: number;
}

// Counter cells (Float64Array: increments never allocate, never overflow 2^31).
const C_LOCAL_LEARNED = 0;
const C_LOCAL_STATIC = 1;
const C_REMOTE_LEARNED = 2;
const C_REMOTE_CONTROL = 3;
const C_REMOTE_STATIC = 4;
const C_LEARNED = 5;
const C_MOVED = 6;
const C_AGED = 7;
const C_REFUSED_GLOBAL = 8;
const C_REFUSED_VNI = 9;
const C_REFUSED_TABLE = 10;
const C_REFUSED_PINNED = 11;
const C_IGNORED_GROUP = 12;
const C_REFUSED_RESERVE = 13;
const C_REFUSED_RATE = 14;
const C_REFUSED_FAMILY = 15;
const C_COUNT = 16;

/** flags & 15 -> entry-count cell. */
const COUNT_CELL = new Int8Array(16).fill(-1);
COUNT_CELL[FDB_LOCAL | ORIGIN_LEARNED] = C_LOCAL_LEARNED;
COUNT_CELL[FDB_LOCAL | ORIGIN_CONTROL] = C_LOCAL_STATIC; // not produced; counted with static
COUNT_CELL[FDB_LOCAL | ORIGIN_STATIC] = C_LOCAL_STATIC;
COUNT_CELL[FDB_REMOTE | ORIGIN_LEARNED] = C_REMOTE_LEARNED;
COUNT_CELL[FDB_REMOTE | ORIGIN_CONTROL] = C_REMOTE_CONTROL;
COUNT_CELL[FDB_REMOTE | ORIGIN_STATIC] = C_REMOTE_STATIC;

// Limit-report scopes (index into the rate-limiter arrays for the non-VNI ones).
const SCOPE_GLOBAL = 0;
const SCOPE_VNIS = 1;
const SCOPE_VTEPS = 2;
const SCOPE_LEARNED = 3;
const SCOPE_RATE = 4;
const SCOPE_NAMES = ['global', 'vnis', 'vteps', 'learned', 'learn-rate'] as const;
/** Counter cell of each non-VNI scope's refusals. */
const SCOPE_CELLS = [C_REFUSED_GLOBAL, C_REFUSED_TABLE, C_REFUSED_TABLE, C_REFUSED_RESERVE, C_REFUSED_RATE] as const;

/**
 * Hash of (VNI, MAC): three murmur3 rounds (words: MAC bytes 2-5, MAC bytes
 * 0-1 with the VNI's low 16 bits, the VNI's high 8 bits) and the murmur3
 * finalizer, keyed by the seed. Small enough for V8 to inline.
 */
function hashKey(vni: number, hi: number, lo: number, seed: number): number {
  let k = Math.imul(lo, 0xcc9e2d51);
  k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  let h = seed ^ k;
  h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
  k = Math.imul(hi | (vni << 16), 0xcc9e2d51);
  k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  h ^= k;
  h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
  h ^= Math.imul(vni >>> 16, 0x1b873593);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export class Fdb {
  /** Slots in the table (a power of two, at least 2 x maxEntries). */
  readonly capacity: number;
  readonly maxEntries: number;
  readonly agingTicks: number;
  readonly vteps: VtepTable;
  readonly floodLists: FloodLists;
  listener: FdbListener | undefined;
  private entryCount = 0;
  /** Latest tick passed to a learn or a sweep (used to stamp control-plane changes and reports). */
  now = 0;

  private readonly mask: number;
  private readonly seed: number;
  private readonly header: Int32Array;
  private readonly lock: SeqLock;
  private readonly hot: Int32Array;
  private readonly seen: Uint32Array;
  private readonly seqs: Uint32Array;
  private readonly cnt = new Float64Array(C_COUNT);
  private readonly defaultVniLimit: number;
  /** Most learned entries at once: maxEntries - controlReserve. */
  readonly learnRoom: number;
  readonly learnRate: number;
  readonly learnBurst: number;
  private readonly underlayFamily: 0 | 4 | 6;
  private readonly limitReportTicks: number;
  /** Slots one sweep() call examines by default. */
  readonly sweepSlots: number;
  private cursor = 0;

  // Per VNI, by dense slot.
  private readonly vnis: VniIndex;
  private readonly vniCount: Int32Array;
  /** -1: the default limit. */
  private readonly vniLimit: Int32Array;
  private readonly vniLastReport: Float64Array;
  private readonly vniRefused: Float64Array;
  /** Learns refused in the VNI (any reason but pinned), while it holds a slot. */
  private readonly vniRefusedTotal: Float64Array;
  // Rate limiting of the other scopes.
  private readonly scopeLastReport = new Float64Array(SCOPE_NAMES.length).fill(-1);
  private readonly scopeRefused = new Float64Array(SCOPE_NAMES.length);
  // Per local port (by index; grown when a new index first learns, never per packet):
  // learning tokens, the tick they were last refilled, learns refused.
  private portTokens: Float64Array = new Float64Array(0);
  private portTick: Float64Array = new Float64Array(0);
  private portRefused: Float64Array = new Float64Array(0);

  private readonly macScratch = new Uint8Array(6);

  constructor(options: FdbOptions = {}) {
    const maxEntries = options.maxEntries ?? 65536;
    if (!Number.isInteger(maxEntries) || maxEntries < 1 || maxEntries > 1 << 24) {
      throw new RangeError(`maxEntries must be an integer in 1..${1 << 24}, got ${maxEntries}`);
    }
    this.maxEntries = maxEntries;
    let cap = 8;
    while (cap < maxEntries * 2) cap *= 2;
    this.capacity = cap;
    this.mask = cap - 1;
    // One SharedArrayBuffer: header (seqlock, tick), the slots, the last-seen ticks (fdb-view.ts reads it from workers).
    const shared = fdbArrays(new SharedArrayBuffer(fdbSharedBytes(cap)), cap);
    this.header = shared.header;
    this.lock = new SeqLock(this.header, H_LOCK);
    this.hot = shared.hot;
    this.seen = shared.seen;
    this.seqs = new Uint32Array(cap);

    const perVni = options.maxEntriesPerVni ?? Math.max(1, Math.floor(maxEntries / 4));
    checkCount('maxEntriesPerVni', perVni);
    this.defaultVniLimit = perVni;
    const reserve = options.controlReserve ?? Math.floor(maxEntries / 8);
    checkCount('controlReserve', reserve);
    if (reserve >= maxEntries) throw new RangeError(`controlReserve must be below maxEntries (${maxEntries}), got ${reserve}`);
    this.learnRoom = maxEntries - reserve;
    const rate = options.learnRate ?? 100;
    checkCount('learnRate', rate);
    this.learnRate = rate;
    const burst = options.learnBurst ?? rate * 10;
    checkCount('learnBurst', burst);
    if (rate > 0 && burst < 1) throw new RangeError('learnBurst must be at least 1 when learnRate is set');
    this.learnBurst = burst;
    this.underlayFamily = options.underlayFamily ?? 0;
    const aging = options.agingTicks ?? 300;
    checkCount('agingTicks', aging);
    this.agingTicks = aging;
    const report = options.limitReportTicks ?? 10;
    checkCount('limitReportTicks', report);
    this.limitReportTicks = report;
    const rounds = Math.max(1, Math.floor(aging / 4));
    const sweep = options.sweepSlots ?? Math.max(64, Math.ceil(cap / rounds));
    checkCount('sweepSlots', sweep);
    this.sweepSlots = Math.max(1, sweep);

    const maxVnis = options.maxVnis ?? 4096;
    this.vnis = new VniIndex(maxVnis);
    this.vniCount = new Int32Array(maxVnis);
    this.vniLimit = new Int32Array(maxVnis).fill(-1);
    this.vniLastReport = new Float64Array(maxVnis).fill(-1);
    this.vniRefused = new Float64Array(maxVnis);
    this.vniRefusedTotal = new Float64Array(maxVnis);

    this.vteps = options.vteps ?? new VtepTable();
    this.floodLists = options.floodLists ?? new FloodLists(this.vteps, maxVnis);
    this.listener = options.listener;
    this.seed = (options.seed ?? randomInt(0x7fffffff)) | 0;
  }

  /**
   * What a reader in another thread needs to look entries up (FdbView):
   * the shared buffer, the capacity and the hash seed. This table stays the
   * only writer (single-writer discipline, fdb-view.ts).
   */
  share(): FdbShare {
    return { buffer: this.header.buffer as SharedArrayBuffer, capacity: this.capacity, seed: this.seed };
  }

  /** Publish the coarse clock to readers (they stamp last-seen ticks with it). */
  publishTick(tick: number): void {
    Atomics.store(this.header, H_TICK, tick);
  }

  /** Entries held. */
  get size(): number {
    return this.entryCount;
  }

  // =====================================================================
  // Fast path
  // =====================================================================

  /**
   * Slot of (vni, MAC at buf[macOffset..+6]), or -1. No allocation, no
   * checks: the VNI comes from the wire (24 bits by construction) or from
   * config, already validated.
   */
  lookup(vni: number, buf: Uint8Array, macOffset: number): number {
    const hi = macHi(buf, macOffset);
    const lo = macLo(buf, macOffset);
    return this.find(vni, hi, lo);
  }

  /** Home slot of a key: where its probe starts (diagnostics, collision tests). */
  homeSlot(vni: number, buf: Uint8Array, macOffset: number): number {
    const hi = macHi(buf, macOffset);
    const lo = macLo(buf, macOffset);
    return hashKey(vni, hi, lo, this.seed) & this.mask;
  }

  /** Entry kind at a slot from lookup(): FDB_LOCAL or FDB_REMOTE. */
  kindAt(slot: number): number {
    return this.hot[slot << 2]! & KIND_MASK;
  }

  /** Local port (FDB_LOCAL) or VTEP index (FDB_REMOTE) at a slot from lookup(). */
  targetAt(slot: number): number {
    return this.hot[(slot << 2) + 3]!;
  }

  /** Flags byte (kind | origin | sticky) at a slot. */
  flagsAt(slot: number): number {
    return this.hot[slot << 2]! & 0xff;
  }

  /** Mobility sequence number at a slot. */
  seqAt(slot: number): number {
    return this.seqs[slot]!;
  }

  /**
   * Learn a source MAC seen on local port `port` at `tick`. `ipBuf/ipOffset/ipLength`
   * (4 or 16 bytes) pass an address ARP/ND snooping bound to the MAC; it is only
   * reported with a new entry or a move (a neighbor table, not the FDB, tracks
   * IP changes of a known MAC).
   */
  learnLocal(
    vni: number,
    buf: Uint8Array,
    macOffset: number,
    port: number,
    tick: number,
    ipBuf?: Uint8Array,
    ipOffset = 0,
    ipLength = 0,
  ): LearnResult {
    this.now = tick;
    const b0 = buf[macOffset]!;
    // RFC 7042 §2.1: the I/G bit marks group addresses, never a station.
    if ((b0 & 1) !== 0) {
      this.cnt[C_IGNORED_GROUP]!++;
      return LEARN_IGNORED;
    }
    const hi = macHi(buf, macOffset);
    const lo = macLo(buf, macOffset);
    const hot = this.hot;
    const mask = this.mask;
    const vk = vni << 8;
    let i = hashKey(vni, hi, lo, this.seed) & mask;
    for (;;) {
      const b = i << 2;
      const w0 = hot[b]!;
      if (w0 === 0) break;
      if ((w0 & ~0xff) === vk && hot[b + 2] === lo && hot[b + 1] === hi) {
        if ((w0 & KIND_MASK) === FDB_LOCAL) {
          if (hot[b + 3] === port) {
            this.seen[i] = tick;
            return LEARN_REFRESHED;
          }
          if ((w0 & (ORIGIN_MASK | FLAG_STICKY)) !== 0) {
            this.cnt[C_REFUSED_PINNED]!++;
            return LEARN_REFUSED_PINNED;
          }
          const oldPort = hot[b + 3]!;
          this.lock.writeBegin();
          hot[b + 3] = port;
          this.seen[i] = tick;
          this.lock.writeEnd();
          this.cnt[C_MOVED]!++;
          this.emitMoved(vni, hi, lo, FDB_LOCAL, oldPort, FDB_LOCAL, port, this.seqs[i]!, ipBuf, ipOffset, ipLength);
          return LEARN_MOVED;
        }
        // Remote entry: a static or sticky one never moves by learning.
        if ((w0 & FLAG_STICKY) !== 0 || (w0 & ORIGIN_MASK) === ORIGIN_STATIC) {
          this.cnt[C_REFUSED_PINNED]!++;
          return LEARN_REFUSED_PINNED;
        }
        // RFC 7432 §15: the host moved here; the VTEP that learns a MAC
        // already advertised by another advertises it with that sequence + 1.
        const oldVtep = hot[b + 3]!;
        const seq = (this.seqs[i]! + 1) >>> 0;
        this.countEntry(w0, -1);
        this.lock.writeBegin();
        hot[b] = vk | FDB_LOCAL | ORIGIN_LEARNED;
        hot[b + 3] = port;
        this.seen[i] = tick;
        this.lock.writeEnd();
        this.seqs[i] = seq;
        this.countEntry(FDB_LOCAL, 1);
        this.cnt[C_MOVED]!++;
        this.vteps.release(oldVtep);
        this.emitMoved(vni, hi, lo, FDB_REMOTE, oldVtep, FDB_LOCAL, port, seq, ipBuf, ipOffset, ipLength);
        return LEARN_MOVED;
      }
      i = (i + 1) & mask;
    }
    return this.insertLearned(i, vni, hi, lo, FDB_LOCAL, port, tick, ipBuf, ipOffset, ipLength);
  }

  /**
   * Learn a source MAC from a decapsulated frame that came from VTEP
   * `vtepIndex` (static and multicast modes; evpn mode never calls this).
   * Control-plane and static entries win over it.
   */
  learnRemote(vni: number, buf: Uint8Array, macOffset: number, vtepIndex: number, tick: number): LearnResult {
    this.now = tick;
    const b0 = buf[macOffset]!;
    if ((b0 & 1) !== 0) {
      this.cnt[C_IGNORED_GROUP]!++;
      return LEARN_IGNORED;
    }
    const hi = macHi(buf, macOffset);
    const lo = macLo(buf, macOffset);
    const hot = this.hot;
    const mask = this.mask;
    const vk = vni << 8;
    let i = hashKey(vni, hi, lo, this.seed) & mask;
    for (;;) {
      const b = i << 2;
      const w0 = hot[b]!;
      if (w0 === 0) break;
      if ((w0 & ~0xff) === vk && hot[b + 2] === lo && hot[b + 1] === hi) {
        const kind = w0 & KIND_MASK;
        if (kind === FDB_REMOTE && hot[b + 3] === vtepIndex) {
          this.seen[i] = tick;
          return LEARN_REFRESHED;
        }
        if ((w0 & (ORIGIN_MASK | FLAG_STICKY)) !== 0) {
          this.cnt[C_REFUSED_PINNED]!++;
          return LEARN_REFUSED_PINNED;
        }
        const old = hot[b + 3]!;
        this.vteps.retain(vtepIndex);
        this.lock.writeBegin();
        if (kind === FDB_REMOTE) {
          this.vteps.release(old);
        } else {
          this.countEntry(w0, -1);
          this.countEntry(FDB_REMOTE, 1);
          hot[b] = vk | FDB_REMOTE | ORIGIN_LEARNED;
        }
        hot[b + 3] = vtepIndex;
        this.seen[i] = tick;
        this.lock.writeEnd();
        this.cnt[C_MOVED]!++;
        this.emitMoved(vni, hi, lo, kind, old, FDB_REMOTE, vtepIndex, this.seqs[i]!, undefined, 0, 0);
        return LEARN_MOVED;
      }
      i = (i + 1) & mask;
    }
    return this.insertLearned(i, vni, hi, lo, FDB_REMOTE, vtepIndex, tick, undefined, 0, 0);
  }

  /**
   * Age data-plane-learned entries not seen for agingTicks, examining at most
   * `maxSlots` slots from where the previous call stopped, so a sweep of a
   * huge table is spread over many calls. Call it between batches (it also
   * lets the VTEP table recycle unused indexes). Returns the number aged.
   *
   * Removing a slot shifts later entries back into it, so the cursor stays
   * put after a removal and looks at the same slot again. An entry that
   * another call shifts behind the cursor is seen one round later.
   */
  sweep(now: number, maxSlots = this.sweepSlots): number {
    this.now = now;
    this.publishTick(now);
    this.vteps.reclaim();
    const aging = this.agingTicks;
    if (aging === 0 || this.cnt[C_LOCAL_LEARNED]! + this.cnt[C_REMOTE_LEARNED]! === 0) return 0;
    const hot = this.hot;
    const seen = this.seen;
    const mask = this.mask;
    let c = this.cursor;
    let aged = 0;
    for (let n = maxSlots; n > 0; n--) {
      const w0 = hot[c << 2]!;
      if (w0 !== 0 && (w0 & ORIGIN_MASK) === ORIGIN_LEARNED && now - seen[c]! >= aging) {
        this.dropLearned(c, 'aged');
        aged++;
        continue;
      }
      c = (c + 1) & mask;
    }
    this.cursor = c;
    return aged;
  }

  // =====================================================================
  // Slow path: control plane, configuration, CLI
  // =====================================================================

  /** Slot of (vni, "aa:bb:cc:dd:ee:ff"), or -1. */
  lookupMac(vni: number, mac: string): number {
    return this.lookup(vni, parseMac(mac), 0);
  }

  /** The entry for (vni, mac), or undefined. */
  get(vni: number, mac: string): FdbEntry | undefined {
    const slot = this.lookupMac(vni, mac);
    return slot < 0 ? undefined : this.entryAt(slot);
  }

  /** learnLocal with the MAC as text (tests, CLI tools). */
  learnLocalMac(vni: number, mac: string, port: number, tick: number): LearnResult {
    return this.learnLocal(vni, parseMac(mac), 0, port, tick);
  }

  /** learnRemote with the MAC and VTEP as text. */
  learnRemoteMac(vni: number, mac: string, vtep: string, tick: number): LearnResult {
    const idx = this.vteps.intern(vtep);
    if (idx < 0) {
      this.refuse(SCOPE_VTEPS, -1, vni, this.vteps.capacity);
      return LEARN_REFUSED_LIMIT;
    }
    return this.learnRemote(vni, parseMac(mac), 0, idx, tick);
  }

  /**
   * Control plane (EVPN Type 2 route): `mac` in `vni` lives behind `vtep`.
   * Overrides data-plane-learned entries, local or remote (the EVPN instance
   * decides by RFC 7432 §15 sequence numbers before calling); a local entry
   * becoming remote emits onMoved. Never ages. Static entries win and give
   * 'refused-static'. Counts toward the global limit, not the per-VNI one
   * (that limit guards data-plane learning), and may use the room reserved
   * for the control plane (controlReserve). A VTEP of the wrong family gives
   * 'refused-family' (underlayFamily).
   */
  addRemote(vni: number, mac: string, vtep: string, opts: { seq?: number; sticky?: boolean } = {}): FdbChange {
    return this.install(vni, mac, FDB_REMOTE | ORIGIN_CONTROL | (opts.sticky ? FLAG_STICKY : 0), vtep, opts.seq ?? 0);
  }

  /**
   * Control plane withdrew (vni, mac). Removes only a control-plane entry,
   * and, when `vtep` is given, only if it still points there (a late
   * withdrawal from the VTEP a host left must not delete the new location).
   */
  removeRemote(vni: number, mac: string, vtep?: string): boolean {
    const slot = this.lookupMac(vni, mac);
    if (slot < 0) return false;
    const w0 = this.hot[slot << 2]!;
    if ((w0 & ORIGIN_MASK) !== ORIGIN_CONTROL) return false;
    if (vtep !== undefined) {
      const idx = this.vteps.find(vtep);
      if (idx < 0 || this.hot[(slot << 2) + 3] !== idx) return false;
    }
    this.removeSlot(slot);
    return true;
  }

  /** setFloodList of the FDB API: the VTEPs that receive BUM traffic of `vni`. */
  setFloodList(vni: number, vteps: readonly string[]): void {
    this.floodLists.set(vni, vteps);
  }

  /** Static local entry (config): never ages, never moves by learning; replaces any entry. */
  addStaticLocal(vni: number, mac: string, port: number, opts: { sticky?: boolean } = {}): FdbChange {
    checkCount('port', port);
    return this.install(vni, mac, FDB_LOCAL | ORIGIN_STATIC | (opts.sticky ? FLAG_STICKY : 0), port, 0);
  }

  /** Static remote entry (config): never ages, wins over learning and the control plane. */
  addStaticRemote(vni: number, mac: string, vtep: string, opts: { sticky?: boolean } = {}): FdbChange {
    return this.install(vni, mac, FDB_REMOTE | ORIGIN_STATIC | (opts.sticky ? FLAG_STICKY : 0), vtep, 0);
  }

  /** Remove a static entry. */
  removeStatic(vni: number, mac: string): boolean {
    const slot = this.lookupMac(vni, mac);
    if (slot < 0 || (this.hot[slot << 2]! & ORIGIN_MASK) !== ORIGIN_STATIC) return false;
    this.removeSlot(slot);
    return true;
  }

  /** Operator delete (`vxswitch fdb del`): any entry. A learned one emits onAged(..., 'removed'). */
  remove(vni: number, mac: string): boolean {
    const slot = this.lookupMac(vni, mac);
    if (slot < 0) return false;
    if ((this.hot[slot << 2]! & ORIGIN_MASK) === ORIGIN_LEARNED) this.dropLearned(slot, 'removed');
    else this.removeSlot(slot);
    return true;
  }

  /**
   * Remove the data-plane-learned entries (of one VNI, or all), like
   * `bridge fdb flush dynamic`; each emits onAged(..., 'flushed'). Returns the count.
   */
  flush(vni?: number): number {
    let removed = 0;
    // Start just after an empty slot: no cluster wraps across it, so removals
    // only shift entries that the scan has not passed yet.
    let start = 0;
    while (this.hot[start << 2] !== 0) start++;
    for (let n = 0, c = (start + 1) & this.mask; n < this.capacity; ) {
      const w0 = this.hot[c << 2]!;
      if (w0 !== 0 && (w0 & ORIGIN_MASK) === ORIGIN_LEARNED && (vni === undefined || w0 >>> 8 === vni)) {
        this.dropLearned(c, 'flushed');
        removed++;
        continue;
      }
      n++;
      c = (c + 1) & this.mask;
    }
    return removed;
  }

  /**
   * Per-VNI limit on data-plane learning; undefined restores the default and
   * forgets the VNI's refusal count (the VNI is being removed or reset).
   */
  setVniLimit(vni: number, limit: number | undefined): void {
    checkVni(vni);
    if (limit === undefined) {
      const s = this.vnis.find(vni);
      if (s < 0) return;
      this.vniLimit[s] = -1;
      this.vniRefusedTotal[s] = 0;
      this.releaseVniIfUnused(s, vni);
      return;
    }
    checkCount('limit', limit);
    const s = this.vnis.add(vni);
    if (s < 0) throw new RangeError(`too many VNIs (${this.vnis.capacity})`);
    this.vniLimit[s] = Math.min(limit, 0x7fffffff);
  }

  /** Effective per-VNI learning limit. */
  vniLimitOf(vni: number): number {
    const s = this.vnis.find(vni);
    return s < 0 || this.vniLimit[s]! < 0 ? this.defaultVniLimit : this.vniLimit[s]!;
  }

  /** Entries held in `vni` (all kinds). */
  count(vni: number): number {
    const s = this.vnis.find(vni);
    return s < 0 ? 0 : this.vniCount[s]!;
  }

  /**
   * Per-VNI entry counts, ascending by VNI (VNIs with entries, an explicit
   * limit or refused learns), with the learns refused in the VNI.
   */
  vniCounts(): { vni: number; entries: number; limit: number; learnRefused: number }[] {
    const out: { vni: number; entries: number; limit: number; learnRefused: number }[] = [];
    for (let s = 0; s < this.vnis.capacity; s++) {
      const vni = this.vnis.vniAt(s);
      if (vni >= 0) out.push({ vni, entries: this.vniCount[s]!, limit: this.vniLimitOf(vni), learnRefused: this.vniRefusedTotal[s]! });
    }
    return out.sort((a, b) => a.vni - b.vni);
  }

  /** Learns refused in `vni` (limits and learning rate) since it was configured. */
  learnRefusedIn(vni: number): number {
    const s = this.vnis.find(vni);
    return s < 0 ? 0 : this.vniRefusedTotal[s]!;
  }

  /** Learns refused on local port `port` (limits and learning rate). */
  learnRefusedOn(port: number): number {
    return port >= 0 && port < this.portRefused.length ? this.portRefused[port]! : 0;
  }

  counters(): FdbCounters {
    const c = this.cnt;
    return {
      entries: this.entryCount,
      localLearned: c[C_LOCAL_LEARNED]!,
      localStatic: c[C_LOCAL_STATIC]!,
      remoteLearned: c[C_REMOTE_LEARNED]!,
      remoteControl: c[C_REMOTE_CONTROL]!,
      remoteStatic: c[C_REMOTE_STATIC]!,
      learned: c[C_LEARNED]!,
      moved: c[C_MOVED]!,
      aged: c[C_AGED]!,
      refusedGlobalLimit: c[C_REFUSED_GLOBAL]!,
      refusedVniLimit: c[C_REFUSED_VNI]!,
      refusedTableFull: c[C_REFUSED_TABLE]!,
      refusedPinned: c[C_REFUSED_PINNED]!,
      ignoredGroup: c[C_IGNORED_GROUP]!,
      refusedControlReserve: c[C_REFUSED_RESERVE]!,
      refusedLearnRate: c[C_REFUSED_RATE]!,
      refusedFamily: c[C_REFUSED_FAMILY]!,
    };
  }

  /** Entries in slot order. Do not change the table while iterating; use snapshot() then. */
  *entries(): IterableIterator<FdbEntry> {
    for (let s = 0; s < this.capacity; s++) if (this.hot[s << 2] !== 0) yield this.entryAt(s);
  }

  /** All entries (of one VNI), sorted by VNI then MAC: the CLI's `vxswitch fdb`. */
  snapshot(vni?: number): FdbEntry[] {
    const out: FdbEntry[] = [];
    for (const e of this.entries()) if (vni === undefined || e.vni === vni) out.push(e);
    return out.sort((a, b) => a.vni - b.vni || (a.mac < b.mac ? -1 : a.mac > b.mac ? 1 : 0));
  }

  /** Entry at a slot (slow path: allocates). */
  entryAt(slot: number): FdbEntry {
    const b = slot << 2;
    const w0 = this.hot[b]!;
    const kind = w0 & KIND_MASK;
    const origin = w0 & ORIGIN_MASK;
    const target = this.hot[b + 3]!;
    const lastSeen = this.seen[slot]!;
    const e: FdbEntry = {
      vni: w0 >>> 8,
      mac: this.macText(this.hot[b + 1]!, this.hot[b + 2]!),
      kind: kind === FDB_LOCAL ? 'local' : 'remote',
      origin: origin === ORIGIN_LEARNED ? 'learned' : origin === ORIGIN_CONTROL ? 'control' : 'static',
      sticky: (w0 & FLAG_STICKY) !== 0,
      seq: this.seqs[slot]!,
      lastSeen,
      age: Math.max(0, this.now - lastSeen),
    };
    if (kind === FDB_LOCAL) e.port = target;
    else {
      e.vtepIndex = target;
      e.vtep = this.vteps.address(target);
    }
    return e;
  }

  // =====================================================================
  // Internals
  // =====================================================================

  private find(vni: number, hi: number, lo: number): number {
    return probeSlot(this.hot, this.mask, hashKey(vni, hi, lo, this.seed) & this.mask, vni, hi, lo);
  }

  /** Insert a data-plane-learned entry at empty slot i (found by the caller's probe), limits permitting. */
  private insertLearned(
    i: number,
    vni: number,
    hi: number,
    lo: number,
    kind: number,
    target: number,
    tick: number,
    ipBuf: Uint8Array | undefined,
    ipOffset: number,
    ipLength: number,
  ): LearnResult {
    const port = kind === FDB_LOCAL ? target : -1;
    if (this.entryCount >= this.maxEntries) return this.refuseLearn(SCOPE_GLOBAL, vni, port, this.maxEntries);
    // Learned entries never take the room reserved for the control plane.
    if (this.cnt[C_LOCAL_LEARNED]! + this.cnt[C_REMOTE_LEARNED]! >= this.learnRoom) {
      return this.refuseLearn(SCOPE_LEARNED, vni, port, this.learnRoom);
    }
    const s = this.vnis.add(vni);
    if (s < 0) return this.refuseLearn(SCOPE_VNIS, vni, port, this.vnis.capacity);
    const limit = this.vniLimit[s]! < 0 ? this.defaultVniLimit : this.vniLimit[s]!;
    if (this.vniCount[s]! >= limit) {
      this.refuse(-1, s, vni, limit);
      this.vniRefusedTotal[s]!++;
      this.countPortRefused(port);
      this.releaseVniIfUnused(s, vni);
      return LEARN_REFUSED_LIMIT;
    }
    if (port >= 0 && this.learnRate > 0 && !this.takeLearnToken(port, tick)) {
      const r = this.refuseLearn(SCOPE_RATE, vni, port, this.learnRate);
      this.releaseVniIfUnused(s, vni);
      return r;
    }
    const b = i << 2;
    const hot = this.hot;
    this.lock.writeBegin();
    hot[b + 1] = hi;
    hot[b + 2] = lo;
    hot[b + 3] = target;
    this.seen[i] = tick;
    hot[b] = (vni << 8) | kind | ORIGIN_LEARNED;
    this.lock.writeEnd();
    this.seqs[i] = 0;
    this.entryCount++;
    this.vniCount[s]!++;
    this.countEntry(kind, 1);
    this.cnt[C_LEARNED]!++;
    if (kind === FDB_REMOTE) this.vteps.retain(target);
    const l = this.listener;
    if (l?.onLearned) {
      const mac = this.macText(hi, lo);
      const where = this.location(kind, target);
      if (ipLength === 4 || ipLength === 16) l.onLearned(vni, mac, where, ipText(ipBuf!, ipOffset, ipLength));
      else l.onLearned(vni, mac, where);
    }
    return LEARN_NEW;
  }

  /**
   * Control-plane / static install. `flags` = kind | origin | sticky; `target`
   * is a port (local) or a VTEP address (remote).
   */
  private install(vni: number, mac: string, flags: number, target: number | string, seq: number): FdbChange {
    checkVni(vni);
    const m = parseMac(mac);
    // Group MACs are never stations (RFC 7042 §2.1); some speakers advertise
    // them anyway (goplane sent 33:33:... as Type 2 routes): ignore, don't fail.
    if (isGroupMac(m)) return 'ignored-group';
    if (!Number.isInteger(seq) || seq < 0 || seq > 0xffffffff) throw new RangeError(`seq must be a uint32, got ${seq}`);
    const kind = flags & KIND_MASK;
    let t: number;
    if (kind === FDB_REMOTE) {
      t = this.vteps.intern(target as string);
      if (t < 0) {
        this.refuse(SCOPE_VTEPS, -1, vni, this.vteps.capacity);
        return 'refused-limit';
      }
      // An unreferenced index interned here is recycled by the next reclaim().
      if (this.underlayFamily !== 0 && (this.vteps.isIpv4(t) ? 4 : 6) !== this.underlayFamily) {
        this.cnt[C_REFUSED_FAMILY]!++;
        return 'refused-family';
      }
    } else {
      t = target as number;
    }
    const hi = (m[0]! << 8) | m[1]!;
    const lo = (m[2]! << 24) | (m[3]! << 16) | (m[4]! << 8) | m[5]!;
    const hot = this.hot;
    const slot = this.find(vni, hi, lo);
    if (slot >= 0) {
      const b = slot << 2;
      const w0 = hot[b]!;
      const origin = flags & ORIGIN_MASK;
      if ((w0 & ORIGIN_MASK) === ORIGIN_STATIC && origin !== ORIGIN_STATIC) return 'refused-static';
      const oldKind = w0 & KIND_MASK;
      const oldTarget = hot[b + 3]!;
      if ((w0 & 0xff) === flags && oldTarget === t && this.seqs[slot] === seq) return 'unchanged';
      if (kind === FDB_REMOTE) this.vteps.retain(t);
      if (oldKind === FDB_REMOTE) this.vteps.release(oldTarget);
      this.countEntry(w0, -1);
      this.countEntry(flags, 1);
      this.lock.writeBegin();
      hot[b] = (vni << 8) | flags;
      hot[b + 3] = t;
      this.seen[slot] = this.now;
      this.lock.writeEnd();
      this.seqs[slot] = seq;
      if (oldKind !== kind) {
        this.cnt[C_MOVED]!++;
        this.emitMoved(vni, hi, lo, oldKind, oldTarget, kind, t, seq, undefined, 0, 0);
        return 'moved';
      }
      return 'updated';
    }
    if (this.entryCount >= this.maxEntries) {
      this.refuse(SCOPE_GLOBAL, -1, vni, this.maxEntries);
      return 'refused-limit';
    }
    const s = this.vnis.add(vni);
    if (s < 0) {
      this.refuse(SCOPE_VNIS, -1, vni, this.vnis.capacity);
      return 'refused-limit';
    }
    const mask = this.mask;
    let i = hashKey(vni, hi, lo, this.seed) & mask;
    while (hot[i << 2] !== 0) i = (i + 1) & mask;
    const b = i << 2;
    this.lock.writeBegin();
    hot[b + 1] = hi;
    hot[b + 2] = lo;
    hot[b + 3] = t;
    this.seen[i] = this.now;
    hot[b] = (vni << 8) | flags;
    this.lock.writeEnd();
    this.seqs[i] = seq;
    this.entryCount++;
    this.vniCount[s]!++;
    this.countEntry(flags, 1);
    if (kind === FDB_REMOTE) this.vteps.retain(t);
    return 'added';
  }

  /**
   * Take one learning token of local port `port` at `tick`: the bucket holds
   * at most learnBurst tokens and gains learnRate per tick since its last
   * refill (the coarse clock, so no time is read per packet). The per-port
   * arrays grow the first time a new port index learns, not per packet.
   */
  private takeLearnToken(port: number, tick: number): boolean {
    if (port >= this.portTokens.length) this.growPorts(port);
    const tokens = this.portTokens;
    const last = this.portTick[port]!;
    if (last < 0) {
      tokens[port] = this.learnBurst;
      this.portTick[port] = tick;
    } else if (tick > last) {
      tokens[port] = Math.min(this.learnBurst, tokens[port]! + (tick - last) * this.learnRate);
      this.portTick[port] = tick;
    }
    if (tokens[port]! < 1) return false;
    tokens[port]!--;
    return true;
  }

  private growPorts(port: number): void {
    let n = Math.max(16, this.portTokens.length);
    while (n <= port) n *= 2;
    const grow = (a: Float64Array, fill: number): Float64Array => {
      const b = new Float64Array(n).fill(fill);
      b.set(a);
      return b;
    };
    this.portTokens = grow(this.portTokens, 0);
    this.portTick = grow(this.portTick, -1);
    this.portRefused = grow(this.portRefused, 0);
  }

  /** Refuse a data-plane learn by a non-VNI scope: counted for the scope, the VNI (if it holds a slot) and the port. */
  private refuseLearn(scope: number, vni: number, port: number, limit: number): LearnResult {
    this.countPortRefused(port);
    // The VNI keeps its slot while it has refusals (released by setVniLimit(vni, undefined)).
    const s = this.vnis.add(vni);
    if (s >= 0) this.vniRefusedTotal[s]!++;
    this.refuse(scope, -1, vni, limit, scope === SCOPE_RATE ? port : -1);
    return scope === SCOPE_RATE ? LEARN_REFUSED_RATE : LEARN_REFUSED_LIMIT;
  }

  private countPortRefused(port: number): void {
    if (port < 0) return;
    if (port >= this.portRefused.length) this.growPorts(port);
    this.portRefused[port]!++;
  }

  /** Remove a learned entry, reporting it through onAged. */
  private dropLearned(slot: number, reason: FdbAgedReason): void {
    const b = slot << 2;
    const w0 = this.hot[b]!;
    const hi = this.hot[b + 1]!;
    const lo = this.hot[b + 2]!;
    const kind = w0 & KIND_MASK;
    const target = this.hot[b + 3]!;
    this.removeSlot(slot);
    if (reason === 'aged') this.cnt[C_AGED]!++;
    const l = this.listener;
    if (l?.onAged) l.onAged(w0 >>> 8, this.macText(hi, lo), this.location(kind, target), reason);
  }

  /** Delete slot i: backward-shift deletion, counters, VNI count, VTEP reference. */
  private removeSlot(i: number): void {
    const hot = this.hot;
    const seen = this.seen;
    const seqs = this.seqs;
    const mask = this.mask;
    const seed = this.seed;
    const w0 = hot[i << 2]!;
    const vni = w0 >>> 8;
    this.countEntry(w0, -1);
    if ((w0 & KIND_MASK) === FDB_REMOTE) this.vteps.release(hot[(i << 2) + 3]!);
    this.entryCount--;
    const s = this.vnis.find(vni);
    if (s >= 0) {
      this.vniCount[s]!--;
      this.releaseVniIfUnused(s, vni);
    }
    // Entries shift between slots: readers retry until the shift is over.
    this.lock.writeBegin();
    let hole = i;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const bj = j << 2;
      const wj = hot[bj]!;
      if (wj === 0) break;
      const home = hashKey(wj >>> 8, hot[bj + 1]!, hot[bj + 2]!, seed) & mask;
      // The entry at j may fill the hole only if the hole is on its probe
      // path, i.e. not strictly between its home slot and j.
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        const bh = hole << 2;
        hot[bh] = wj;
        hot[bh + 1] = hot[bj + 1]!;
        hot[bh + 2] = hot[bj + 2]!;
        hot[bh + 3] = hot[bj + 3]!;
        seen[hole] = seen[j]!;
        seqs[hole] = seqs[j]!;
        hole = j;
      }
    }
    const bh = hole << 2;
    hot[bh] = 0;
    hot[bh + 1] = 0;
    hot[bh + 2] = 0;
    hot[bh + 3] = 0;
    seen[hole] = 0;
    this.lock.writeEnd();
    seqs[hole] = 0;
  }

  /** A VNI's slot goes when nothing holds it: no entries, no explicit limit, no refusals to count. */
  private releaseVniIfUnused(s: number, vni: number): void {
    if (this.vniCount[s] === 0 && this.vniLimit[s]! < 0 && this.vniRefusedTotal[s] === 0) {
      this.vniLastReport[s] = -1;
      this.vniRefused[s] = 0;
      this.vnis.remove(vni);
    }
  }

  private countEntry(flags: number, d: number): void {
    this.cnt[COUNT_CELL[flags & 15]!]! += d;
  }

  /**
   * Count a refusal and report it, at most once per limitReportTicks per scope
   * (per VNI for the per-VNI limit): a flood of new source MACs makes one log
   * line per interval, not one per frame.
   */
  private refuse(scope: number, vniSlot: number, vni: number, limit: number, port = -1): void {
    const now = this.now;
    let refused: number;
    let name: FdbLimitReport['scope'];
    if (scope < 0) {
      this.cnt[C_REFUSED_VNI]!++;
      refused = ++this.vniRefused[vniSlot]!;
      const last = this.vniLastReport[vniSlot]!;
      if (last >= 0 && now - last < this.limitReportTicks) return;
      this.vniLastReport[vniSlot] = now;
      this.vniRefused[vniSlot] = 0;
      name = 'vni';
    } else {
      this.cnt[SCOPE_CELLS[scope]!]!++;
      refused = ++this.scopeRefused[scope]!;
      const last = this.scopeLastReport[scope]!;
      if (last >= 0 && now - last < this.limitReportTicks) return;
      this.scopeLastReport[scope] = now;
      this.scopeRefused[scope] = 0;
      name = SCOPE_NAMES[scope]!;
    }
    const l = this.listener;
    if (l?.onLimit) {
      const c = this.cnt;
      const total = c[C_REFUSED_GLOBAL]! + c[C_REFUSED_VNI]! + c[C_REFUSED_TABLE]! + c[C_REFUSED_RESERVE]! + c[C_REFUSED_RATE]!;
      const report: FdbLimitReport = { scope: name, vni, limit, refused, total };
      if (port >= 0) report.port = port;
      l.onLimit(report);
    }
  }

  private emitMoved(
    vni: number,
    hi: number,
    lo: number,
    fromKind: number,
    fromTarget: number,
    toKind: number,
    toTarget: number,
    seq: number,
    ipBuf: Uint8Array | undefined,
    ipOffset: number,
    ipLength: number,
  ): void {
    const l = this.listener;
    if (!l?.onMoved) return;
    const from = this.location(fromKind, fromTarget);
    const to = this.location(toKind, toTarget);
    const mac = this.macText(hi, lo);
    if (ipLength === 4 || ipLength === 16) l.onMoved(vni, mac, from, to, seq, ipText(ipBuf!, ipOffset, ipLength));
    else l.onMoved(vni, mac, from, to, seq);
  }

  private location(kind: number, target: number): FdbLocation {
    return kind === FDB_LOCAL
      ? { kind: 'local', port: target }
      : { kind: 'remote', vtep: this.vteps.address(target), vtepIndex: target };
  }

  private macText(hi: number, lo: number): string {
    const m = this.macScratch;
    m[0] = hi >>> 8;
    m[1] = hi & 0xff;
    m[2] = lo >>> 24;
    m[3] = (lo >>> 16) & 0xff;
    m[4] = (lo >>> 8) & 0xff;
    m[5] = lo & 0xff;
    return formatMac(m, 0);
  }
}

function ipText(buf: Uint8Array, offset: number, length: number): string {
  return length === 4 ? formatIpv4(buf, offset) : formatIpv6(buf, offset);
}

function checkVni(vni: number): void {
  if (!Number.isInteger(vni) || vni < 0 || vni > MAX_VNI) {
    throw new RangeError(`VNI must be an integer in 0..${MAX_VNI}, got ${vni}`);
  }
}

function checkCount(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative integer, got ${n}`);
}

// The soak's route plan: which remote MAC lives in which VNI behind which
// VTEP, and where a MAC goes when it moves. Pure and deterministic, so the
// injector can re-announce the same table after every flap and the traffic
// generator can pick MACs the daemon knows.
//
//   MAC i          02:5a:00:XX:XX:XX (i in the last 3 octets)
//   its VNI        FIRST_VNI + (i mod vnis), VLAN (i mod vnis) + 1 on the trunk
//   its VTEPs      each VNI has up to VTEPS_PER_VNI VTEPs out of `vteps`
//                  (slot s of VNI v is VTEP (v * VTEPS_PER_VNI + s) mod vteps)
//   a move         to the VNI's next slot, with the next MAC Mobility
//                  sequence number (RFC 7432 §15)

export interface SoakShape {
  vnis: number;
  macs: number;
  vteps: number;
}

/** The first VNI; VNI index v is FIRST_VNI + v (an RD's 2-octet local part holds it). */
export const FIRST_VNI = 1001;
/** VTEPs announcing each VNI (Type 3s) and hosting its MACs. */
export const VTEPS_PER_VNI = 4;
/** 802.1Q VIDs are 1..4094: one per VNI on the one trunk port. */
export const MAX_VNIS = 4094;
/** The MAC carries its index in 3 octets. */
export const MAX_MACS = 1 << 24;
/** VTEP addresses 10.218.1.0 up: 15 × 256 fit below 10.218.16.0. */
export const MAX_VTEPS = 3840;

/** Underlay /16 of the soak: the daemon, the injector and every VTEP address. */
export const UNDERLAY = { prefix: 16, daemon: '10.218.0.1', injector: '10.218.0.2' } as const;

export function checkShape(s: SoakShape): void {
  const check = (name: string, v: number, lo: number, hi: number): void => {
    if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`--${name} ${v}: expected an integer ${lo}..${hi}`);
  };
  check('vnis', s.vnis, 1, MAX_VNIS);
  check('macs', s.macs, 1, MAX_MACS);
  check('vteps', s.vteps, 1, MAX_VTEPS);
}

export function vniOf(s: SoakShape, mac: number): number {
  return FIRST_VNI + (mac % s.vnis);
}

/** The trunk's VLAN of VNI index v (0-based). */
export function vlanOfIndex(v: number): number {
  return v + 1;
}

export function macText(i: number): string {
  const h = (b: number): string => b.toString(16).padStart(2, '0');
  return `02:5a:00:${h((i >>> 16) & 0xff)}:${h((i >>> 8) & 0xff)}:${h(i & 0xff)}`;
}

export function vtepAddress(k: number): string {
  return `10.218.${1 + (k >>> 8)}.${k & 0xff}`;
}

/** Slots per VNI: VTEPS_PER_VNI, or fewer when there are fewer VTEPs. */
export function slotsPerVni(s: SoakShape): number {
  return Math.min(VTEPS_PER_VNI, s.vteps);
}

/** The VTEP index in slot `slot` of VNI index v. */
export function vtepOfSlot(s: SoakShape, v: number, slot: number): number {
  return (v * slotsPerVni(s) + slot) % s.vteps;
}

/**
 * Where each MAC is now: its VNI slot and its MAC Mobility sequence number
 * (0: never moved, announced without the community).
 */
export class MacTable {
  readonly slot: Uint8Array;
  readonly seq: Uint32Array;
  constructor(readonly shape: SoakShape) {
    checkShape(shape);
    this.slot = new Uint8Array(shape.macs);
    this.seq = new Uint32Array(shape.macs);
    const per = slotsPerVni(shape);
    for (let i = 0; i < shape.macs; i++) this.slot[i] = Math.floor(i / shape.vnis) % per;
  }

  /** VTEP index of MAC i. */
  vtepOf(i: number): number {
    return vtepOfSlot(this.shape, i % this.shape.vnis, this.slot[i]!);
  }

  /** Move MAC i to its VNI's next VTEP; returns the VTEP it left. */
  move(i: number): number {
    const from = this.vtepOf(i);
    this.slot[i] = (this.slot[i]! + 1) % slotsPerVni(this.shape);
    this.seq[i] = this.seq[i]! + 1;
    return from;
  }
}

/** `count` distinct MAC indexes out of `macs`, drawn with `random`. */
export function pickMacs(macs: number, count: number, random: () => number): number[] {
  const n = Math.min(count, macs);
  const picked = new Set<number>();
  // Bounded: at most 4n draws; with n <= macs / 2 the set fills long before.
  for (let tries = 0; picked.size < n && tries < 4 * n + 16; tries++) picked.add(Math.floor(random() * macs));
  return [...picked];
}

/** `count` MAC indexes spread evenly over the table (the traffic sample). */
export function evenSample(macs: number, count: number): number[] {
  const n = Math.min(count, macs);
  const step = macs / n;
  return Array.from({ length: n }, (_, j) => Math.floor(j * step));
}

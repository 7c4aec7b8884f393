// What one end-to-end run measured, per engine, as bench/e2e/index.ts
// collects it and --json prints it.

import type { EngineName } from './engine.js';
import type { KneeResult } from './loss-free.js';
import type { TcpResult } from './tcp.js';

export interface EngineRun {
  engine: EngineName;
  /** Loss-free rate, overload and CPU per frame size. */
  knees: KneeResult[];
  /** TCP with every host at its default offloads (the headline). */
  tcp?: TcpResult;
  /** Why the headline TCP run gave no figure. */
  tcpError?: string;
  /** TCP the other way (host B -> host A: decapsulation), hosts at default offloads. */
  tcpReverse?: TcpResult;
  tcpReverseError?: string;
  /** The engine's TCP workaround, when one was applied to its TCP runs (engine.ts TcpWorkaround). */
  tcpWorkaround?: string;
  /** Why the engine was not measured at all (OVS not installable, say). */
  skipped?: string;
  errors: string[];
  notes: string[];
}

export interface EndToEndRun {
  /** Generator ceiling per frame size: frames/s into the member port with no VTEP running. */
  ceiling: Record<number, number>;
  engines: EngineRun[];
  /** Wall time of the run, seconds. */
  seconds: number;
}

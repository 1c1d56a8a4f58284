import type { HealthStatus } from './aggregate.js';
import type { DrainTarget } from './drain-target.js';
import type { Logger } from './logger.js';
import type { Participant } from './participant.js';
import type { ProbeState } from './probe-state.js';
import type { Probe } from './types.js';

/**
 * What the faces around the core (gRPC, Consul, the probe server, the watch streams) may use of a registry:
 * `createHealth()`'s Health or Fastify's `app.health`. Each face takes a `Pick<>` of it. Structural, so that a
 * registry from another copy of probekit (a build beside the sources, two installs) fits too. HealthCore implements
 * it, so the two cannot drift apart.
 */
export interface HealthLike {
  /** The registry's logger (never throws). */
  readonly logger: Logger;
  /** `start()` was called and `stop()` was not. */
  readonly isRunning: boolean;
  /** The shutdown sequence has begun. */
  readonly isShuttingDown: boolean;
  /** Runs recorded, all checks together. */
  readonly runCount: number;
  /** `change`: any probe's answer may have changed; `run`: a check ran; `start`: the checks started. */
  on(event: 'change' | 'run' | 'start', listener: () => void): unknown;
  off(event: 'change' | 'run' | 'start', listener: () => void): unknown;
  /** A probe's status now, of all its checks or of the named ones. */
  evaluate(probe: Probe, checks?: readonly string[]): HealthStatus;
  /** The state the probe answers are built from, as plain data. */
  probeState(): ProbeState;
  /** Drains `target` at the shutdown; returns a function that removes it. */
  addDrainTarget(target: DrainTarget, name?: string): () => void;
  /** Joins the shutdown sequence and `close()`; returns a function that leaves. */
  addParticipant(participant: Participant): () => void;
}

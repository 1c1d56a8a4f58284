import type { HealthStatus } from './aggregate.js';
import type { HistoryEntry } from './history.js';
import type { NormalizedCheck } from './options.js';
import type { CheckState } from './state.js';
import type { Probe, RunResult } from './types.js';

/** A point-in-time copy of the registry, for code (not for HTTP: error text is not withheld here). */
export interface HealthSnapshot {
  status: Record<Probe, HealthStatus>;
  started: boolean;
  shuttingDown: boolean;
  holds: string[];
  checks: Record<string, CheckSnapshot>;
}

/** One check in a {@link HealthSnapshot}. */
export interface CheckSnapshot {
  status: CheckState['status'];
  critical: boolean;
  probes: Probe[];
  since: string | null;
  lastRun: string | null;
  durationMs: number | null;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  /** The last error, sanitised (no credentials, no stack), or `null` after a success. */
  error: string | null;
  observedValue?: number;
  observedUnit?: string;
  output?: string;
  /** The last runs (at most `historySize`, default 60), oldest first. */
  history: { at: string; result: RunResult; durationMs: number }[];
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** Copies one check's state into plain data. */
export function checkSnapshot(check: NormalizedCheck, state: CheckState, history: readonly HistoryEntry[] = []): CheckSnapshot {
  const c: CheckSnapshot = {
    status: state.status,
    critical: check.critical,
    probes: [...check.probes],
    since: iso(state.since),
    lastRun: iso(state.lastRun),
    durationMs: state.durationMs,
    consecutiveFailures: state.consecutiveFailures,
    consecutiveSuccesses: state.consecutiveSuccesses,
    error: state.errorText,
    history: history.map((h) => ({ at: new Date(h.at).toISOString(), result: h.result, durationMs: h.durationMs })),
  };
  if (state.details?.observedValue !== undefined) c.observedValue = state.details.observedValue;
  if (state.details?.observedUnit !== undefined) c.observedUnit = state.details.observedUnit;
  if (state.details?.output !== undefined) c.output = state.details.output;
  return c;
}

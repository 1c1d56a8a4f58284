import type { HealthStatus } from '../core/aggregate.js';
import { sanitizeText } from '../core/sanitize.js';
import type { CheckSnapshot, HealthSnapshot } from '../core/snapshot.js';
import type { Probe, RunResult } from '../core/types.js';

/** How many past runs the page shows per check (the strip's slots), newest right. */
export const HISTORY_SLOTS = 60;

/** One past run of a check, as the status page shows it in its strip. */
export interface PageRun {
  /** End of the run, ISO 8601. */
  at: string;
  result: RunResult;
  durationMs: number;
}

/** A check's fields that the page shows as the snapshot has them. */
type SnapshotFields =
  | 'status'
  | 'critical'
  | 'probes'
  | 'since'
  | 'lastRun'
  | 'durationMs'
  | 'consecutiveFailures'
  | 'consecutiveSuccesses'
  | 'observedValue'
  | 'observedUnit';

/** One check, as the status page shows it. Plain JSON data: it is what the watch stream sends the page's script. */
export interface PageCheck extends Pick<CheckSnapshot, SnapshotFields> {
  name: string;
  /** The error (with details), `reason withheld` (without), or the check's own output; absent when there is none. */
  output?: string;
  /** What `output` is, so that the page can style it; present exactly when `output` is. */
  outputKind?: 'error' | 'withheld' | 'output';
  /** The last runs, oldest first, at most {@link HISTORY_SLOTS}. */
  history: PageRun[];
}

/** Everything the status page shows: plain JSON data, built by {@link pageModel}. */
export interface PageModel {
  /** When the model was built, ISO 8601: relative times ("12 s ago") are counted from it. */
  generatedAt: string;
  /** Each probe's overall status, as the probe would answer now. */
  status: Record<Probe, HealthStatus>;
  /** Startup has completed (latched). */
  started: boolean;
  shuttingDown: boolean;
  /** Reasons of the holds on readiness (`health.hold(reason)`), sanitised. */
  holds: string[];
  /** Was error text allowed (the `details` policy)? */
  details: boolean;
  /** Failing critical checks first, then failing non-critical ones, then passing ones; each group in registration order. */
  checks: PageCheck[];
}

/**
 * One check as the status page's stream carries it: the page's fields, with the runs the stream has not sent yet as
 * one-letter codes, oldest first (`s` success, `f` failure, `t` timeout, `p` pending), at most {@link HISTORY_SLOTS}.
 */
export interface PageStreamCheck extends Omit<PageCheck, 'history'> {
  recent: string;
}

/**
 * A check that only ran since the previous message, in the stream's compact form: its registration index (in the
 * model's `order`), `lastRun`, `durationMs`, `consecutiveSuccesses`, `consecutiveFailures`, and its new runs as in
 * {@link PageStreamCheck.recent}.
 */
export type PageRunTuple = [
  index: number,
  lastRun: string | null,
  durationMs: number | null,
  ok: number,
  fail: number,
  recent: string,
];

/**
 * The first message of the status page's watch stream: the whole model (each check with its last runs as codes),
 * plus every check's name in registration order (the page's script sorts updated rows as the server does: failing
 * critical, failing, passing, each group in registration order).
 */
export interface PageModelMessage extends Omit<PageModel, 'checks'> {
  type: 'model';
  order: string[];
  checks: PageStreamCheck[];
}

/**
 * The next messages of the status page's watch stream: the probes and notes as they are now; in `checks`, whole,
 * the checks whose status or output changed since the previous message; in `runs`, compact, the checks that only
 * ran (sent at most once per `watchInterval`).
 */
export interface PageUpdateMessage extends Omit<PageModel, 'checks'> {
  type: 'update';
  checks: PageStreamCheck[];
  runs: PageRunTuple[];
}

/** What the status page's watch stream carries. */
export type PageMessage = PageModelMessage | PageUpdateMessage;

/** Where a check goes on the page; the same order as the JSON bodies of `/ready`. */
export function pageRank(c: Pick<PageCheck, 'status' | 'critical'>): number {
  if (c.status === 'pass') return 2;
  return c.critical ? 0 : 1;
}

/** One check of the page from a snapshot of it; `history` as given (the feed keeps its own). */
export function pageCheck(name: string, c: CheckSnapshot, details: boolean): PageCheck {
  const out: PageCheck = {
    name,
    status: c.status,
    critical: c.critical,
    probes: [...c.probes],
    since: c.since,
    lastRun: c.lastRun,
    durationMs: c.durationMs,
    consecutiveFailures: c.consecutiveFailures,
    consecutiveSuccesses: c.consecutiveSuccesses,
    history: c.history.slice(-HISTORY_SLOTS).map((h) => ({ at: h.at, result: h.result, durationMs: h.durationMs })),
  };
  // The same policy as the JSON bodies: error text only with details; a check's own output is not an error.
  if (c.error !== null) {
    out.output = details ? c.error : 'reason withheld';
    out.outputKind = details ? 'error' : 'withheld';
  } else if (c.output !== undefined) {
    out.output = sanitizeText(c.output);
    out.outputKind = 'output';
  }
  if (c.observedValue !== undefined) out.observedValue = c.observedValue;
  if (c.observedUnit !== undefined) out.observedUnit = sanitizeText(c.observedUnit);
  return out;
}

/**
 * The status page's data, from a snapshot. Pure: `now` (ms since the epoch, default the wall clock) only stamps
 * `generatedAt`. With `details` false a failing check's error text is replaced by `reason withheld`, as in the JSON.
 */
export function pageModel(snapshot: HealthSnapshot, details: boolean, now: number = Date.now()): PageModel {
  const entries = Object.entries(snapshot.checks);
  const index = entries.map((_, i) => i);
  const ranks = entries.map(([, c]) => pageRank(c));
  index.sort((a, b) => (ranks[a] as number) - (ranks[b] as number) || a - b);
  return {
    generatedAt: new Date(now).toISOString(),
    status: { live: snapshot.status.live, ready: snapshot.status.ready, startup: snapshot.status.startup },
    started: snapshot.started,
    shuttingDown: snapshot.shuttingDown,
    holds: snapshot.holds.map((h) => sanitizeText(h)),
    details,
    checks: index.map((i) => {
      const [name, c] = entries[i] as [string, CheckSnapshot];
      return pageCheck(name, c, details);
    }),
  };
}

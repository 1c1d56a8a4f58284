// What `probekit watch` knows of each endpoint, and what changed with each answer. Pure: the caller passes the
// time in every update.
import type { CheckBody, HealthBody } from './report.js';

/** An endpoint's status: the body's word, or from the HTTP code; `down` when it cannot be reached; `waiting` before. */
export type EndpointStatus = 'pass' | 'warn' | 'fail' | 'down' | 'waiting';

/** One check as shown. */
export interface CheckRow extends CheckBody {
  readonly name: string;
  /** Local time its status last changed while watched; undefined until it does. */
  readonly changedAt: number | undefined;
}

/** One endpoint as shown. */
export interface EndpointState {
  readonly url: string;
  readonly status: EndpointStatus;
  /** How the last answer came: the watch stream or a plain request. */
  readonly mode: 'sse' | 'poll' | undefined;
  readonly statusCode: number | undefined;
  /** The body's reason, or the error. */
  readonly reason: string | undefined;
  /** Local time of the last status change (the start of watching at first). */
  readonly since: number;
  readonly changedAt: number | undefined;
  /** Request time of the last plain answer. */
  readonly latencyMs: number | undefined;
  readonly checks: readonly CheckRow[];
}

/** An answer (a plain response or a stream event) or a failure, at local time `at`. */
export type Update =
  | {
      readonly at: number;
      readonly mode: 'sse' | 'poll';
      readonly statusCode: number | undefined;
      /** Whether `--expect-status` accepts the code: the verdict when the body has no status. */
      readonly accepted: boolean;
      readonly body: HealthBody | undefined;
      readonly latencyMs: number | undefined;
    }
  | { readonly at: number; readonly error: string };

/** One change, as `watch` prints it when the output is not a terminal. */
export interface Change {
  readonly url: string;
  /** Undefined for the endpoint itself. */
  readonly check: string | undefined;
  readonly from: string | undefined;
  readonly to: string;
  readonly detail: string | undefined;
}

/** The state before the first answer. */
export function initialState(url: string, now: number): EndpointState {
  return {
    url,
    status: 'waiting',
    mode: undefined,
    statusCode: undefined,
    reason: undefined,
    since: now,
    changedAt: undefined,
    latencyMs: undefined,
    checks: [],
  };
}

function statusOf(update: Extract<Update, { mode: unknown }>): EndpointStatus {
  const word = update.body?.status;
  if (word === 'pass' || word === 'warn' || word === 'fail') return word;
  return update.accepted ? 'pass' : 'fail';
}

/** Applies one update; returns the new state and what changed (nothing for a repeat of the same answer). */
export function applyUpdate(state: EndpointState, update: Update): { state: EndpointState; changes: Change[] } {
  const changes: Change[] = [];
  const at = update.at;
  if ('error' in update) {
    const moved = state.status !== 'down';
    if (moved || state.reason !== update.error) {
      changes.push({ url: state.url, check: undefined, from: moved ? state.status : 'down', to: 'down', detail: update.error });
    }
    const next: EndpointState = {
      ...state,
      status: 'down',
      reason: update.error,
      since: moved ? at : state.since,
      changedAt: moved && state.status !== 'waiting' ? at : state.changedAt,
      // The checks are those of the last answer: greyed out by the view, not forgotten.
    };
    return { state: next, changes };
  }
  const status = statusOf(update);
  const reason = update.body?.reason;
  const moved = status !== state.status;
  if (moved || reason !== state.reason) {
    changes.push({ url: state.url, check: undefined, from: state.status, to: status, detail: reason });
  }
  const before = new Map(state.checks.map((c) => [c.name, c]));
  const checks: CheckRow[] = [];
  for (const [name, c] of update.body?.checks ?? []) {
    const old = before.get(name);
    const changed = old !== undefined && old.status !== c.status;
    if (old === undefined || changed)
      changes.push({ url: state.url, check: name, from: old?.status, to: c.status, detail: c.output });
    checks.push({ ...c, name, changedAt: changed ? at : old?.changedAt });
    before.delete(name);
  }
  for (const name of before.keys())
    changes.push({ url: state.url, check: name, from: before.get(name)?.status, to: 'gone', detail: undefined });
  const next: EndpointState = {
    url: state.url,
    status,
    mode: update.mode,
    statusCode: update.statusCode,
    reason,
    since: moved ? at : state.since,
    changedAt: moved && state.status !== 'waiting' ? at : state.changedAt,
    latencyMs: update.latencyMs,
    checks,
  };
  return { state: next, changes };
}

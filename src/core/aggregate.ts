import type { NormalizedCheck } from './options.js';
import { sanitizeText } from './sanitize.js';
import type { CheckState } from './state.js';
import type { Probe } from './types.js';

/** Overall status words: `pass` and `warn` answer 200, `fail` answers 503. */
export type HealthStatus = 'pass' | 'warn' | 'fail';

/** Body formats. */
export type Format = 'json' | 'health+json' | 'text';

/** One registered check as the aggregation sees it: its name and criticality are all a body needs of it. */
export interface Member {
  readonly check: Pick<NormalizedCheck, 'name' | 'critical'>;
  readonly state: CheckState;
}

/** Registry-wide conditions that fail readiness whatever the checks say. */
export interface Gates {
  readonly shuttingDown: boolean;
  readonly holds: readonly string[];
  /** Startup has completed (latched). */
  readonly started: boolean;
  /** Reasons liveness fails whatever the checks say (`health.markBroken(reason)`; the probe server adds `blocked`). */
  readonly broken?: readonly string[];
  /**
   * Shared checks whose failure a quorum of peers sees too, with the reason shown: while failing, they count for
   * `/ready` as non-critical checks (200 `warn`). Never for a single-check path, liveness or startup.
   */
  readonly shared?: ReadonlyMap<string, string>;
}

/** What to render: a probe, its members, and the request's options. */
export interface View {
  readonly probe: Probe;
  readonly members: readonly Member[];
  readonly excluded: ReadonlySet<string>;
  readonly gates: Gates;
  /** A single-check path (`/ready/<name>`): the check's own status, no gates, no criticality. */
  readonly single: boolean;
}

/** A rendered answer. Headers are shared frozen objects: adapters must not write to them. */
export interface ProbeResponse {
  readonly statusCode: number;
  readonly status: HealthStatus | 'error';
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export const JSON_HEADERS = Object.freeze({ 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
const HEALTH_JSON_HEADERS = Object.freeze({
  'content-type': 'application/health+json; charset=utf-8',
  'cache-control': 'no-store',
});
const TEXT_HEADERS = Object.freeze({ 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });

/** True when a check counts for `probe`. Startup: the checks listing it, or, when none does, the ready checks. */
export function isMember(check: NormalizedCheck, probe: Probe, explicitStartup: boolean): boolean {
  if (probe === 'live') return check.live;
  if (probe === 'ready') return check.ready;
  return explicitStartup ? check.startup : check.ready;
}

/** Has every critical startup member passed once? Pure. */
export function startupComplete(members: readonly Member[], excluded?: ReadonlySet<string>): boolean {
  for (const m of members) {
    if (m.check.critical && !m.state.passedOnce && !excluded?.has(m.check.name)) return false;
  }
  return true;
}

/** Is this one check passing, as its probe reads it? Unknown passes liveness only (never kill a starting pod). */
function checkPasses(probe: Probe, state: CheckState): boolean {
  if (probe === 'startup') return state.passedOnce;
  if (probe === 'live') return state.status !== 'fail';
  return state.status === 'pass';
}

/** A failing shared check that fails on a quorum of peers too: for this view it counts as non-critical. */
function sharedOutage(view: View, m: Member): boolean {
  return view.probe === 'ready' && !view.single && m.state.status === 'fail' && view.gates.shared?.has(m.check.name) === true;
}

/** Does this member's failure fail the view (its own `critical`, unless the fleet sees a shared outage)? */
function counts(view: View, m: Member): boolean {
  return m.check.critical && !sharedOutage(view, m);
}

/** The fleet's reasons for the shared outages in this view (`db failing on 4 of 5 peers: shared outage`). */
function sharedReasons(view: View): string[] {
  const out: string[] = [];
  for (const m of view.members) {
    if (!view.excluded.has(m.check.name) && sharedOutage(view, m)) out.push(view.gates.shared?.get(m.check.name) as string);
  }
  return out;
}

/** The reasons readiness (or liveness) is failed by the registry itself, in the order they are shown. */
function gateReasons(view: View): string[] {
  if (view.single) return [];
  if (view.probe === 'live') return view.gates.broken?.map(sanitizeText) ?? [];
  if (view.probe !== 'ready') return [];
  const reasons: string[] = [];
  if (view.gates.shuttingDown) reasons.push('shutting down');
  for (const h of view.gates.holds) reasons.push(sanitizeText(h));
  if (!view.gates.started) reasons.push('startup not complete');
  return reasons;
}

/** Aggregates a view into one status word. Pure. */
export function aggregate(view: View): HealthStatus {
  const { probe, members, excluded } = view;
  if (view.single) {
    const m = members[0];
    return m !== undefined && checkPasses(probe, m.state) ? 'pass' : 'fail';
  }
  if (probe === 'startup') {
    return view.gates.started || startupComplete(members, excluded) ? 'pass' : 'fail';
  }
  let status: HealthStatus = gateReasons(view).length > 0 ? 'fail' : 'pass';
  for (const m of members) {
    if (excluded.has(m.check.name) || checkPasses(probe, m.state)) continue;
    if (counts(view, m)) return 'fail';
    // A non-critical check only warns once it really failed; unknown is not a warning.
    if (m.state.status === 'fail' && status === 'pass') status = 'warn';
  }
  return status;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** The `output` of one check: its error (or `reason withheld`), else the check's own output. */
function outputOf(state: CheckState, details: boolean): string | undefined {
  if (state.errorText !== null) return details ? state.errorText : 'reason withheld';
  if (state.details?.output !== undefined) return sanitizeText(state.details.output);
  return undefined;
}

function jsonCheck(m: Member, details: boolean): Record<string, unknown> {
  const s = m.state;
  const out: Record<string, unknown> = {
    status: s.status,
    critical: m.check.critical,
    since: iso(s.since),
    lastRun: iso(s.lastRun),
    durationMs: s.durationMs,
    consecutiveFailures: s.consecutiveFailures,
    consecutiveSuccesses: s.consecutiveSuccesses,
  };
  if (s.details?.observedValue !== undefined) out.observedValue = s.details.observedValue;
  if (s.details?.observedUnit !== undefined) out.observedUnit = sanitizeText(s.details.observedUnit);
  const output = outputOf(s, details);
  if (output !== undefined) out.output = output;
  return out;
}

/** The per-check status word of the IETF health+json draft: a failing non-critical check is `warn`. */
function draftStatus(view: View, m: Member): HealthStatus {
  if (checkPasses(view.probe, m.state)) return 'pass';
  return counts(view, m) ? 'fail' : 'warn';
}

function healthJsonCheck(view: View, m: Member, details: boolean): [string, Record<string, unknown>[]] {
  const s = m.state;
  const custom = s.details?.observedValue !== undefined;
  const entry: Record<string, unknown> = {
    componentId: m.check.name,
    componentType: 'component',
    status: draftStatus(view, m),
  };
  if (custom) {
    entry.observedValue = s.details?.observedValue;
    if (s.details?.observedUnit !== undefined) entry.observedUnit = sanitizeText(s.details.observedUnit);
  } else if (s.durationMs !== null) {
    entry.observedValue = s.durationMs;
    entry.observedUnit = 'ms';
  }
  if (s.lastRun !== null) entry.time = iso(s.lastRun);
  const output = outputOf(s, details);
  if (output !== undefined) entry.output = output;
  return [custom ? m.check.name : `${m.check.name}:responseTime`, [entry]];
}

function textLine(view: View, m: Member, details: boolean, excluded: boolean): string {
  const name = m.check.name;
  if (excluded) return `[+]${name} excluded: ok`;
  const s = m.state;
  if (checkPasses(view.probe, s)) return s.status === 'unknown' ? `[+]${name} ok (no result yet)` : `[+]${name} ok`;
  if (s.status === 'unknown' && s.errorText === null) return `[-]${name} failed: no result yet`;
  const why = outputOf(s, details) ?? 'failed';
  if (sharedOutage(view, m)) return `[!]${name} warn (shared outage): ${why}`;
  return m.check.critical ? `[-]${name} failed: ${why}` : `[!]${name} warn (non-critical): ${why}`;
}

/** Where a check goes in a body: failing first, then warning, then passing, so the first 10 KiB show what fails. */
function rank(view: View, m: Member): number {
  if (checkPasses(view.probe, m.state)) return 2;
  return counts(view, m) ? 0 : 1;
}

/**
 * The members in body order: failing, warning, passing (excluded last), each group in registration order.
 * The kubelet reads (and logs) only the first 10 KiB of a body; with a thousand checks the failing one must be there.
 */
function ordered(view: View): readonly Member[] {
  const { members, excluded } = view;
  const ranks = members.map((m) => (excluded.has(m.check.name) ? 3 : rank(view, m)));
  if (ranks.every((r, i) => i === 0 || (ranks[i - 1] as number) <= r)) return members;
  const index = members.map((_, i) => i);
  index.sort((a, b) => (ranks[a] as number) - (ranks[b] as number) || a - b);
  return index.map((i) => members[i] as Member);
}

/**
 * Renders a view into a response. Pure, and the only place bodies are built: the registry caches what it returns,
 * so a probe hit does not come here unless something changed or the request asked for something unusual.
 */
export function render(view: View, format: Format, details: boolean): ProbeResponse {
  const status = aggregate(view);
  const statusCode = status === 'fail' ? 503 : 200;
  const reasons = gateReasons(view);
  const notes = [...reasons, ...sharedReasons(view)];
  const reason = notes.length > 0 ? notes.join('; ') : undefined;
  const members = ordered(view);
  if (format === 'text') {
    const lines = members.map((m) => textLine(view, m, details, view.excluded.has(m.check.name)));
    if (view.probe === 'ready' && view.gates.shuttingDown && reasons.includes('shutting down'))
      lines.push('[-]shutdown failed: shutting down');
    if (!view.single && view.probe === 'ready') {
      for (const h of view.gates.holds) lines.push(`[-]hold failed: ${sanitizeText(h)}`);
      if (!view.gates.started) lines.push('[-]startup failed: startup not complete');
    }
    if (view.probe === 'live') for (const b of reasons) lines.push(`[-]broken failed: ${b}`);
    lines.push(`${view.probe} check ${status === 'fail' ? 'failed' : 'passed'}`);
    return { statusCode, status, headers: TEXT_HEADERS, body: `${lines.join('\n')}\n` };
  }
  const included = members.filter((m) => !view.excluded.has(m.check.name));
  if (format === 'health+json') {
    const body: Record<string, unknown> = { status };
    if (reason !== undefined) body.output = reason;
    body.checks = Object.fromEntries(included.map((m) => healthJsonCheck(view, m, details)));
    return { statusCode, status, headers: HEALTH_JSON_HEADERS, body: JSON.stringify(body) };
  }
  const body: Record<string, unknown> = { status };
  if (reason !== undefined) body.reason = reason;
  body.checks = Object.fromEntries(included.map((m) => [m.check.name, jsonCheck(m, details)]));
  return { statusCode, status, headers: JSON_HEADERS, body: JSON.stringify(body) };
}

const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,127}$/;

/**
 * The 404 answer for an unknown check name on a per-check path. The name the client sent is echoed only when it
 * has the shape of a check name (at most 128 characters of `[a-z0-9._-]`): nothing a client sends is run through
 * the sanitizer, and nothing odd is reflected.
 */
export function notFound(probe: Probe, name: string): ProbeResponse {
  const message = NAME_RE.test(name) ? `No ${probe} check named ${JSON.stringify(name)}` : `No ${probe} check with that name`;
  const body = JSON.stringify({ status: 'error', error: 'Not Found', message });
  return { statusCode: 404, status: 'error', headers: JSON_HEADERS, body };
}

/** What the registry's `report()` is asked for. */
export interface ReportQuery {
  /** One check alone (the `/ready/<name>` path). */
  check?: string;
  /** Checks to ignore for this answer. */
  exclude?: readonly string[];
  /** Body format. Default `json`. */
  format?: Format;
  /** Show error text of failing checks. Default `false` (`reason withheld`). */
  details?: boolean;
}

/** What answers probes: the registry, as the HTTP layer sees it. */
export interface Reporter {
  report(probe: Probe, query?: ReportQuery): ProbeResponse;
}

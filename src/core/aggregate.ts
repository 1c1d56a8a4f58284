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
export const HEALTH_JSON_HEADERS = Object.freeze({
  'content-type': 'application/health+json; charset=utf-8',
  'cache-control': 'no-store',
});
export const TEXT_HEADERS = Object.freeze({ 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });

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
    if (m.check.critical) return 'fail';
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
function draftStatus(probe: Probe, m: Member): HealthStatus {
  if (checkPasses(probe, m.state)) return 'pass';
  return m.check.critical ? 'fail' : 'warn';
}

function healthJsonCheck(probe: Probe, m: Member, details: boolean): [string, Record<string, unknown>[]] {
  const s = m.state;
  const custom = s.details?.observedValue !== undefined;
  const entry: Record<string, unknown> = {
    componentId: m.check.name,
    componentType: 'component',
    status: draftStatus(probe, m),
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

function textLine(probe: Probe, m: Member, details: boolean, excluded: boolean): string {
  const name = m.check.name;
  if (excluded) return `[+]${name} excluded: ok`;
  const s = m.state;
  if (checkPasses(probe, s)) return s.status === 'unknown' ? `[+]${name} ok (no result yet)` : `[+]${name} ok`;
  if (s.status === 'unknown' && s.errorText === null) return `[-]${name} failed: no result yet`;
  const why = outputOf(s, details) ?? 'failed';
  return m.check.critical ? `[-]${name} failed: ${why}` : `[!]${name} warn (non-critical): ${why}`;
}

/** Where a check goes in a body: failing first, then warning, then passing, so the first 10 KiB show what fails. */
function rank(probe: Probe, m: Member): number {
  if (checkPasses(probe, m.state)) return 2;
  return m.check.critical ? 0 : 1;
}

/**
 * The members in body order: failing, warning, passing (excluded last), each group in registration order.
 * The kubelet reads (and logs) only the first 10 KiB of a body; with a thousand checks the failing one must be there.
 */
function ordered(view: View): readonly Member[] {
  const { members, probe, excluded } = view;
  const ranks = members.map((m) => (excluded.has(m.check.name) ? 3 : rank(probe, m)));
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
  const reason = reasons.length > 0 ? reasons.join('; ') : undefined;
  const members = ordered(view);
  if (format === 'text') {
    const lines = members.map((m) => textLine(view.probe, m, details, view.excluded.has(m.check.name)));
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
    body.checks = Object.fromEntries(included.map((m) => healthJsonCheck(view.probe, m, details)));
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

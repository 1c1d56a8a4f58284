// The status page's markup, as strings. The page's script (browser/page.js) builds the very same markup with the DOM when
// the watch stream sends a new model; test/status-page/render.test.ts runs it against a small DOM and compares.
import type { RunResult } from '../core/types.js';
import { HISTORY_SLOTS, type PageCheck, type PageModel, type PageRun } from './model.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes text for HTML content and quoted attribute values; anything beyond ASCII becomes a character reference,
 * so that the page is one-byte text: V8 joins and encodes such strings several times faster.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']|[^\t\n\r -~]/gu, (c) => ESCAPES[c] ?? `&#${c.codePointAt(0)};`);
}

type Attrs = Record<string, string | undefined>;

/** One element: attributes in the order given (undefined ones left out); children are HTML already. */
function el(tag: string, attrs: Attrs, children: readonly string[] = []): string {
  let open = `<${tag}`;
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) open += ` ${k}="${escapeHtml(v)}"`;
  return `${open}>${children.join('')}</${tag}>`;
}

/** "just now", "12 s ago", "3 min ago", "5 h ago", "2 d ago": the time from `iso` to `now` (ms since the epoch). */
export function ago(iso: string, now: number): string {
  return agoMs(Date.parse(iso), now);
}

/** {@link ago} of a time in ms since the epoch. */
export function agoMs(ms: number, now: number): string {
  const s = Math.max(0, Math.floor((now - ms) / 1000));
  if (s < 1) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 172800) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** "0.4 ms", "12 ms", "1.25 s". */
export function duration(ms: number): string {
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** The word a check's status pill shows: a failing non-critical check only warns. */
export function checkLabel(c: Pick<PageCheck, 'status' | 'critical'>): 'pass' | 'fail' | 'warn' | 'unknown' {
  if (c.status === 'fail') return c.critical ? 'fail' : 'warn';
  return c.status;
}

/** The worst of the three probes' statuses, for the document title. */
export function overall(model: Pick<PageModel, 'status'>): 'pass' | 'warn' | 'fail' {
  const all = [model.status.live, model.status.ready, model.status.startup];
  if (all.includes('fail')) return 'fail';
  return all.includes('warn') ? 'warn' : 'pass';
}

/** The document title: the worst probe status first, so that a tab shows it. */
export function titleText(model: Pick<PageModel, 'status'>): string {
  return `${overall(model)} · health`;
}

/** "5 checks · 1 failing · 1 warning · 1 unknown". */
export function summaryText(model: { readonly checks: readonly Pick<PageCheck, 'status' | 'critical'>[] }): string {
  const n = model.checks.length;
  const failing = model.checks.filter((c) => checkLabel(c) === 'fail').length;
  const warning = model.checks.filter((c) => checkLabel(c) === 'warn').length;
  const parts = [`${n} ${n === 1 ? 'check' : 'checks'}`];
  if (failing > 0) parts.push(`${failing} failing`);
  if (warning > 0) parts.push(`${warning} warning`);
  const unknown = model.checks.filter((c) => c.status === 'unknown').length;
  if (unknown > 0) parts.push(`${unknown} unknown`);
  return parts.join(' · ');
}

/** "2026-03-01 11:59:48Z" from an ISO 8601 time: a valid HTML time, the text of a `<time>` without JavaScript. */
export function absoluteTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`;
}

const NONE = '<span class="none">&#8212;</span>';

/**
 * A `<time>` with the absolute time as its text (the same bytes whatever the clock says, so that a cached row stays
 * valid); the script turns it into "12 s ago" and keeps it ticking. A dash when there is no time.
 */
export function timeHtml(iso: string | null): string {
  // An ISO 8601 string from toISOString() has nothing to escape.
  return iso === null ? NONE : `<time>${absoluteTime(iso)}</time>`;
}

/** The three probes' status cards. */
export function probesHtml(model: Pick<PageModel, 'status'>): string {
  return (['live', 'ready', 'startup'] as const)
    .map((p) => {
      const s = model.status[p];
      return el('div', { class: `probe probe-${s}`, 'data-probe': p, 'data-status': s }, [
        el('span', { class: 'probe-name' }, [p]),
        el('span', { class: 'probe-status' }, [s]),
      ]);
    })
    .join('');
}

/** The registry-wide conditions that fail readiness: shutting down, holds, startup not complete. */
export function notesHtml(model: Pick<PageModel, 'shuttingDown' | 'holds' | 'started'>): string {
  const notes: string[] = [];
  if (model.shuttingDown)
    notes.push(el('p', { class: 'note note-fail' }, ['Shutting down: readiness fails while the server drains.']));
  for (const h of model.holds) notes.push(el('p', { class: 'note note-fail' }, [`Readiness held: ${escapeHtml(h)}`]));
  if (!model.started) notes.push(el('p', { class: 'note note-warn' }, ['Startup has not completed yet.']));
  return notes.join('');
}

/** The one-letter code of each run result, as the strip and the page's stream carry it. */
export const RESULT_CODE: Readonly<Record<RunResult, string>> = Object.freeze({
  success: 's',
  failure: 'f',
  timeout: 't',
  pending: 'p',
});

/** The result of a one-letter code (`undefined` for any other letter). */
export const CODE_RESULT: Readonly<Record<string, RunResult | undefined>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, RunResult>, { s: 'success', f: 'failure', t: 'timeout', p: 'pending' }),
);

/** The codes of a history, oldest first, at most {@link HISTORY_SLOTS}: "sssff". */
export function resultCodes(history: readonly Pick<PageRun, 'result'>[]): string {
  let out = '';
  for (const h of history.slice(-HISTORY_SLOTS)) out += RESULT_CODE[h.result];
  return out;
}

/** The summary of a strip, its title: "60 runs: 57 passed, 3 failed". */
export function stripLabel(codes: string): string {
  const n = codes.length;
  if (n === 0) return 'no runs yet';
  let ok = 0;
  for (let i = 0; i < n; i++) if (codes.charCodeAt(i) === 115 /* s */) ok++;
  return `${n} ${n === 1 ? 'run' : 'runs'}: ${ok} passed, ${n - ok} failed`;
}

/**
 * The strip of the last {@link HISTORY_SLOTS} runs (`codes`, oldest first), newest right, empty slots padding the
 * left. One element per stretch of equal results (`n<count>` sizes it, the stylesheet draws each slot of it), and
 * one title for the whole strip: a few hundred bytes per check, not one element and title per slot.
 */
export function stripHtml(codes: string): string {
  const runs = codes.length > HISTORY_SLOTS ? codes.slice(-HISTORY_SLOTS) : codes;
  let out = `<span class="strip" role="img" title="${stripLabel(runs)}">`;
  if (runs.length < HISTORY_SLOTS) out += `<i class="r r-empty n${HISTORY_SLOTS - runs.length}"></i>`;
  for (let i = 0; i < runs.length; ) {
    const code = runs[i] as string;
    let j = i + 1;
    while (j < runs.length && runs[j] === code) j++;
    out += `<i class="r r-${CODE_RESULT[code] ?? 'empty'} n${j - i}"></i>`;
    i = j;
  }
  return `${out}</span>`;
}

function outputHtml(c: PageCheck): string {
  let out = '';
  if (c.observedValue !== undefined) {
    const unit = c.observedUnit === undefined ? '' : ` ${c.observedUnit}`;
    out += `<span class="value">${escapeHtml(`${c.observedValue}${unit}`)}</span>`;
  }
  if (c.output !== undefined) out += `<span class="output output-${c.outputKind ?? 'output'}">${escapeHtml(c.output)}</span>`;
  return out;
}

/** A row's start, up to its last-run cell: what changes only with the check's status (name, tags, pill, since). */
export function rowStartHtml(c: Pick<PageCheck, 'name' | 'status' | 'critical' | 'probes' | 'since'>): string {
  const label = checkLabel(c);
  let tags = c.critical
    ? '<span class="tag tag-critical">critical</span>'
    : '<span class="tag tag-noncritical">non-critical</span>';
  for (const p of c.probes) tags += `<span class="tag">${escapeHtml(p)}</span>`;
  const name = escapeHtml(c.name);
  return `<tr class="check check-${label}" data-check="${name}" data-status="${c.status}"><td><span class="name">${name}</span><span class="tags">${tags}</span></td><td><span class="pill pill-${label}">${label}</span></td><td>${timeHtml(c.since)}</td>`;
}

/**
 * A row's run-by-run cells (last run, duration, streaks), `lastRun` being its {@link timeHtml} already (the feed
 * keeps one per second). The stylesheet puts the check and cross marks before the streaks.
 */
export function runCellsHtml(lastRun: string, durationMs: number | null, ok: number, fail: number): string {
  const d = durationMs === null ? NONE : duration(durationMs);
  return `<td>${lastRun}</td><td>${d}</td><td><span class="streak streak-ok${ok === 0 ? ' zero' : ''}">${ok}</span><span class="streak streak-fail${fail === 0 ? ' zero' : ''}">${fail}</span></td>`;
}

/** A row's run-by-run cells: last run, duration, streaks. */
export function rowRunHtml(lastRun: string | null, durationMs: number | null, ok: number, fail: number): string {
  return runCellsHtml(timeHtml(lastRun), durationMs, ok, fail);
}

/** A row's output cell and the start of its history cell: what changes only with the check's output. */
export function rowOutputHtml(c: PageCheck): string {
  return `<td>${outputHtml(c)}</td><td>`;
}

/** The end of a row, after its strip. The cells have no class: the stylesheet styles them by column. */
export const ROW_END = '</td></tr>';

/** One table row per check; `strip` is its {@link stripHtml} when the caller has it already. */
export function rowHtml(c: PageCheck, strip?: string): string {
  return `${rowStartHtml(c)}${rowRunHtml(c.lastRun, c.durationMs, c.consecutiveSuccesses, c.consecutiveFailures)}${rowOutputHtml(c)}${strip ?? stripHtml(resultCodes(c.history))}${ROW_END}`;
}

/** The table body when no check is registered. */
export const NO_ROWS_HTML = el('tr', { class: 'empty' }, [el('td', { colspan: '8' }, ['No checks registered.'])]);

/** The table body: the rows, or one row saying that no check is registered. */
export function rowsHtml(model: Pick<PageModel, 'checks'>): string {
  if (model.checks.length === 0) return NO_ROWS_HTML;
  return model.checks.map((c) => rowHtml(c)).join('');
}

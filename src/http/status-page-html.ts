// The status page's markup, as strings. STATUS_JS (status-page-js.ts) builds the very same markup with the DOM when
// the watch stream sends a new model; test/status-page/render.test.ts runs it against a small DOM and compares.
import { HISTORY_SLOTS, type PageCheck, type PageModel, type PageRun } from './status-page-model.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
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

/** A `<time>` that the script keeps ticking; a dash when there is no time. */
export function timeHtml(iso: string | null, now: number): string {
  if (iso === null) return el('span', { class: 'none' }, ['—']);
  return el('time', { class: 'ago', datetime: iso, title: iso }, [escapeHtml(ago(iso, now))]);
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

/** The accessible summary of a strip: "60 runs: 57 passed, 3 failed". */
export function stripLabel(history: readonly PageRun[]): string {
  if (history.length === 0) return 'no runs yet';
  const ok = history.filter((h) => h.result === 'success').length;
  return `${history.length} ${history.length === 1 ? 'run' : 'runs'}: ${ok} passed, ${history.length - ok} failed`;
}

/** The title of one slot: "2026-01-01T00:00:00.000Z, failure, 12 ms". */
export function runTitle(run: PageRun): string {
  return `${run.at}, ${run.result}, ${duration(run.durationMs)}`;
}

/** One slot of the strip: a run. */
export function slotHtml(run: PageRun): string {
  return el('span', { class: `r r-${run.result}`, title: runTitle(run) });
}

const EMPTY_SLOT = el('span', { class: 'r r-empty' });

/**
 * The strip of the last {@link HISTORY_SLOTS} runs, oldest left, newest right; empty slots pad the left.
 * `slots` are the runs' {@link slotHtml}, when the caller keeps them (the status page's cache does).
 */
export function stripHtml(history: readonly PageRun[], slots?: readonly string[]): string {
  const runs = history.slice(-HISTORY_SLOTS);
  const own = slots === undefined ? runs.map(slotHtml) : slots.slice(-HISTORY_SLOTS);
  const pad = HISTORY_SLOTS - own.length > 0 ? EMPTY_SLOT.repeat(HISTORY_SLOTS - own.length) : '';
  return el('span', { class: 'strip', role: 'img', 'aria-label': stripLabel(runs) }, [pad, ...own]);
}

function streakHtml(c: PageCheck): string {
  return [
    el('span', { class: `streak streak-ok${c.consecutiveSuccesses === 0 ? ' zero' : ''}`, title: 'consecutive successes' }, [
      `✓ ${c.consecutiveSuccesses}`,
    ]),
    el('span', { class: `streak streak-fail${c.consecutiveFailures === 0 ? ' zero' : ''}`, title: 'consecutive failures' }, [
      `✗ ${c.consecutiveFailures}`,
    ]),
  ].join('');
}

function outputHtml(c: PageCheck): string {
  const parts: string[] = [];
  if (c.observedValue !== undefined) {
    const unit = c.observedUnit === undefined ? '' : ` ${c.observedUnit}`;
    parts.push(el('span', { class: 'value' }, [escapeHtml(`${c.observedValue}${unit}`)]));
  }
  if (c.output !== undefined)
    parts.push(el('span', { class: `output output-${c.outputKind ?? 'output'}` }, [escapeHtml(c.output)]));
  return parts.join('');
}

/** One table row per check; `strip` is its {@link stripHtml} when the caller has it already. */
export function rowHtml(c: PageCheck, now: number, strip?: string): string {
  const label = checkLabel(c);
  const tags = [
    el('span', { class: c.critical ? 'tag tag-critical' : 'tag tag-noncritical' }, [c.critical ? 'critical' : 'non-critical']),
  ];
  for (const p of c.probes) tags.push(el('span', { class: 'tag' }, [p]));
  return el('tr', { class: `check check-${label}`, 'data-check': c.name, 'data-status': c.status }, [
    el('td', { class: 'c-name' }, [el('span', { class: 'name' }, [escapeHtml(c.name)]), el('span', { class: 'tags' }, tags)]),
    el('td', { class: 'c-status' }, [el('span', { class: `pill pill-${label}` }, [label])]),
    el('td', { class: 'c-since' }, [timeHtml(c.since, now)]),
    el('td', { class: 'c-last' }, [timeHtml(c.lastRun, now)]),
    el('td', { class: 'c-duration' }, [c.durationMs === null ? el('span', { class: 'none' }, ['—']) : duration(c.durationMs)]),
    el('td', { class: 'c-streak' }, [streakHtml(c)]),
    el('td', { class: 'c-output' }, [outputHtml(c)]),
    el('td', { class: 'c-history' }, [strip ?? stripHtml(c.history)]),
  ]);
}

/** The table body when no check is registered. */
export const NO_ROWS_HTML = el('tr', { class: 'empty' }, [el('td', { colspan: '8' }, ['No checks registered.'])]);

/** The table body: the rows, or one row saying that no check is registered. */
export function rowsHtml(model: Pick<PageModel, 'checks'>, now: number): string {
  if (model.checks.length === 0) return NO_ROWS_HTML;
  return model.checks.map((c) => rowHtml(c, now)).join('');
}

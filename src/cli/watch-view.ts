// The screen of `probekit watch` as lines of text, and the one-line form of a change. Pure: the time and the
// terminal size are arguments.
import { oneLine } from './report.js';
import type { Change, EndpointState } from './watch-model.js';
import { columns, fitColumns, padColumns } from './width.js';

/** How long a change stays highlighted (marked `*`, and in reverse video with colours). */
const HIGHLIGHT_MS = 10_000;

/** What the table is drawn for. */
export interface Frame {
  readonly now: number;
  readonly width: number;
  readonly height: number;
  readonly color: boolean;
  /** The top line's description of the sources: `poll 1s`, `watch stream, else poll 1s`. */
  readonly source: string;
}

/** A piece of a line with its SGR style (`'31'`, `'1;7'`), unstyled when `undefined` or without colours. */
type Segment = readonly [text: string, style?: string];

/**
 * The colour of a status word. A Map, not an object literal: the words come from the server, and a word such as
 * `constructor` or `__proto__` must find nothing, not a property of Object.prototype written out as a style.
 */
const STYLE: ReadonlyMap<string, string> = new Map([
  ['pass', '32'],
  ['warn', '33'],
  ['fail', '31'],
  ['down', '31'],
  ['unknown', '2'],
  ['waiting', '2'],
  ['gone', '2'],
]);

function styleOf(word: string): string {
  return STYLE.get(word) ?? '0';
}

/** Joins segments, cut to `width` terminal columns; styles only with colours. */
function fit(segments: readonly Segment[], width: number, color: boolean): string {
  let out = '';
  let left = width;
  for (const [text, style] of segments) {
    if (left <= 0) break;
    const piece = fitColumns(text, left);
    left -= columns(piece);
    out += color && style !== undefined && piece.length > 0 ? `\x1b[${style}m${piece}\x1b[0m` : piece;
  }
  return out;
}

/** `text` in exactly `width` terminal columns: cut with `…`, or padded. */
function pad(text: string, width: number): string {
  return padColumns(text, width);
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** `12:00:01`, local time. */
export function clock(ms: number): string {
  const d = new Date(ms);
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** `5s`, `3m12s`, `2h5m`, `3d4h`. */
export function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${two(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${two(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86_400)}d${Math.floor((s % 86_400) / 3600)}h`;
}

function since(at: number | undefined, now: number): string {
  return at === undefined ? '-' : `${clock(at)} (${age(now - at)})`;
}

function duration(ms: number | undefined): string {
  if (ms === undefined) return '';
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

function recent(changedAt: number | undefined, now: number): boolean {
  return changedAt !== undefined && now - changedAt < HIGHLIGHT_MS;
}

/** Columns of the name column: the widest URL or indented check name, at least 12, at most `cap`. */
function nameColumn(endpoints: readonly EndpointState[], cap: number): number {
  let widest = 12;
  for (const e of endpoints) {
    widest = Math.max(widest, columns(e.url));
    for (const c of e.checks) {
      if (widest >= cap) return cap;
      widest = Math.max(widest, columns(c.name) + 2);
    }
  }
  return Math.min(widest, cap);
}

/**
 * The whole screen: a title line, a column header, then per endpoint one row and one indented row per check.
 * Rows past the height are dropped for a `… N more rows` line; every line is cut to the width.
 */
export function renderTable(endpoints: readonly EndpointState[], frame: Frame): string[] {
  const { now, width, color } = frame;
  const nameWidth = nameColumn(endpoints, Math.max(12, Math.floor(width * 0.4)));
  // Rows past the height are counted, never built: a server may list thousands of checks.
  let total = 2;
  for (const e of endpoints) total += 1 + e.checks.length;
  const room = total > frame.height ? Math.max(0, frame.height - 1) : total;
  const title = `probekit watch · ${endpoints.length} endpoint${endpoints.length === 1 ? '' : 's'} · ${frame.source} · q quits`;
  const time = clock(now);
  const gap = Math.max(1, width - columns(title) - time.length);
  const lines = [
    fit([[title, '1'], [' '.repeat(gap)], [time]], width, color),
    fit(
      [
        [
          `  ${pad('ENDPOINT / CHECK', nameWidth)} ${pad('STATUS', 6)} ${pad('SINCE', 16)} ${'DURATION'.padStart(8)} ${pad('STREAK', 9)} OUTPUT`,
          '2',
        ],
      ],
      width,
      color,
    ),
  ];
  for (const e of endpoints) {
    if (lines.length >= room) break;
    const hot = recent(e.changedAt, now);
    const down = e.status === 'down';
    const via = e.mode === undefined ? '' : e.mode === 'sse' ? 'stream' : `HTTP ${e.statusCode ?? '?'}`;
    lines.push(
      fit(
        [
          [hot ? '* ' : '  ', hot ? '1' : undefined],
          [`${pad(e.url, nameWidth)} `, '1'],
          [pad(e.status.toUpperCase(), 6), hot ? `1;7;${styleOf(e.status)}` : `1;${styleOf(e.status)}`],
          [` ${pad(since(e.since, now), 16)} ${duration(e.latencyMs).padStart(8)} ${pad(down ? '' : via, 9)} `],
          [oneLine(e.reason ?? '', 500), down ? '31' : undefined],
        ],
        width,
        color,
      ),
    );
    for (const c of e.checks) {
      if (lines.length >= room) break;
      const mark = recent(c.changedAt, now);
      const streak =
        c.status === 'pass'
          ? c.consecutiveSuccesses === undefined
            ? ''
            : `${c.consecutiveSuccesses} ok`
          : c.consecutiveFailures
            ? `${c.consecutiveFailures} fail`
            : '';
      // A failing non-critical check leaves its probe passing: shown as `warn`, as the health+json draft does.
      const word = !c.critical && c.status === 'fail' ? 'warn' : c.status;
      lines.push(
        fit(
          [
            [mark ? '* ' : '  ', mark ? '1' : undefined],
            [`${pad(`  ${c.name}`, nameWidth)} `, down ? '2' : undefined],
            [pad(word, 6), down ? '2' : mark ? `1;7;${styleOf(word)}` : STYLE.get(word)],
            [` ${pad(since(c.since, now), 16)} ${duration(c.durationMs).padStart(8)} ${pad(streak, 9)} `, down ? '2' : undefined],
            [c.output ?? '', down ? '2' : undefined],
          ],
          width,
          color,
        ),
      );
    }
  }
  lines.length = Math.min(lines.length, room);
  if (total > frame.height) {
    lines.push(fit([[`… ${total - lines.length} more rows (enlarge the terminal)`, '2']], width, color));
  }
  return lines;
}

/** One change as one line: `2026-11-25T12:00:01.234Z http://h/ready db: pass -> fail: timed out after 1000 ms`. */
export function changeLine(change: Change, at: number): string {
  const subject = change.check === undefined ? change.url : `${change.url} ${change.check}:`;
  const move =
    change.from === undefined || change.from === 'waiting' || change.from === change.to
      ? change.to
      : `${change.from} -> ${change.to}`;
  return oneLine(
    `${new Date(at).toISOString()} ${subject} ${move}${change.detail === undefined ? '' : `: ${change.detail}`}`,
    1000,
  );
}

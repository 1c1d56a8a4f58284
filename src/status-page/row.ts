// One check of the status page as the feed keeps it (feed.ts), and the markup of its rows. A row's markup is made of
// pieces that change at different rates: its start (name, tags, status, since) and its output change with the
// check's substance, its strip with its last runs, its run cells (last run, duration, streaks) at every run. A GET
// after every check ran therefore makes only the run cells again, and joins the pieces of all rows once.
import type { HistoryEntry } from '../core/history.js';
import type { CheckView } from '../core/registry.js';
import { checkSnapshot } from '../core/snapshot.js';
import { RESULT_CODE, ROW_END, rowOutputHtml, rowStartHtml, runCellsHtml, stripHtml, timeHtml } from './html.js';
import { HISTORY_SLOTS, type PageCheck, pageCheck } from './model.js';

/** One value per details flag (0: error text withheld, 1: shown). */
export type PerDetails<T> = [T | undefined, T | undefined];

/** One check as the page shows it, updated when the check ran or changed, never rebuilt otherwise. */
export interface Row {
  readonly view: CheckView;
  /** Registration index. */
  readonly index: number;
  /** `view.runs` and `view.substance` when last read. */
  runs: number;
  substance: number;
  /** The feed's `seq` of its last run or change. */
  seq: number;
  /** Its last runs as result codes, oldest first, at most {@link HISTORY_SLOTS}; the `seq` that saw each. */
  codes: string;
  readonly codeSeqs: number[];
  /**
   * Cached pieces, dropped when what they show changed: the run cells (per run), the strip (per run that changed
   * the last 60), the start and output (per change in substance), and the tail (output, strip and row end).
   */
  runCells: string | undefined;
  strip: string | undefined;
  start: string | undefined;
  readonly check: PerDetails<PageCheck>;
  readonly output: PerDetails<string>;
  readonly tail: PerDetails<string>;
  /** The check's JSON without its run-by-run fields, open at the end. */
  readonly json: PerDetails<string>;
}

/** A row for the check `view`, first seen by the feed's refresh `seq`. */
export function newRow(view: CheckView, index: number, seq: number): Row {
  return {
    view,
    index,
    runs: 0,
    substance: -1,
    seq,
    codes: '',
    codeSeqs: [],
    runCells: undefined,
    strip: undefined,
    start: undefined,
    check: [undefined, undefined],
    output: [undefined, undefined],
    tail: [undefined, undefined],
    json: [undefined, undefined],
  };
}

/**
 * Reads what the row's check did since the last call: its new runs (as codes, each stamped with `seq`) and a change
 * in substance (which drops the pieces that show it). False when it neither ran nor changed.
 */
export function readRow(row: Row, seq: number): boolean {
  const v = row.view;
  if (v.runs === row.runs && v.substance === row.substance) return false;
  const fresh = Math.min(v.runs - row.runs, HISTORY_SLOTS);
  if (fresh > 0) {
    const latest = v.history.latest(fresh);
    let codes = row.codes;
    for (let i = 0; i < latest.length; i++) {
      codes += RESULT_CODE[(latest[i] as HistoryEntry).result];
      row.codeSeqs.push(seq);
    }
    if (codes.length > HISTORY_SLOTS) {
      codes = codes.slice(-HISTORY_SLOTS);
      row.codeSeqs.splice(0, row.codeSeqs.length - HISTORY_SLOTS);
    }
    // The same last runs (a steady check past 60 runs) keep the same strip.
    if (codes !== row.codes) row.strip = row.tail[0] = row.tail[1] = undefined;
    row.codes = codes;
  }
  if (v.substance !== row.substance) {
    row.start = undefined;
    row.check[0] = row.check[1] = undefined;
    row.output[0] = row.output[1] = undefined;
    row.tail[0] = row.tail[1] = undefined;
    row.json[0] = row.json[1] = undefined;
  }
  row.runCells = undefined;
  row.runs = v.runs;
  row.substance = v.substance;
  row.seq = seq;
  return true;
}

/** The check's page fields as of its last change in substance (its run-by-run fields are read apart). */
export function checkOf(row: Row, d: 0 | 1): PageCheck {
  let c = row.check[d];
  if (c === undefined) {
    const v = row.view;
    c = pageCheck(v.check.name, checkSnapshot(v.check, v.state), d === 1);
    row.check[d] = c;
  }
  return c;
}

/** The runs this row had after `since` (a feed seq), as codes. */
export function recentCodes(row: Row, since: number): string {
  let k = row.codeSeqs.length;
  while (k > 0 && (row.codeSeqs[k - 1] as number) > since) k--;
  return row.codes.slice(k);
}

/** How many distinct strips, and distinct seconds of a last run, the markup keeps. */
const STRIP_CACHE = 512;
const TIME_CACHE = 512;

/** How often a row's pieces were made: what a GET costs, in work rather than time. */
export interface MarkupCounts {
  /** Starts and outputs made: once per check and change in substance (and details flag), never per run. */
  substance: number;
  /** Strips made: once per distinct set of last runs (steady checks share one). */
  strips: number;
  /** Run cells made: once per row and run (or runs) seen, not per GET nor per row shown. */
  runCells: number;
}

/**
 * The markup of the feed's rows: each row's pieces are kept until what they show changed, strips are shared by the
 * rows with the same last runs, and a last run's `<time>` by the runs that ended in the same second (the markup
 * shows seconds). Bounded caches, owned by one feed.
 */
export class RowMarkup {
  private readonly strips = new Map<string, string>();
  private readonly times = new Map<number, string>();
  private readonly made: MarkupCounts = { substance: 0, strips: 0, runCells: 0 };

  /** A copy of the counts so far. */
  get counts(): MarkupCounts {
    return { ...this.made };
  }

  /**
   * Appends the row's pieces to `parts`, for one `join('')` of the whole page: a join copies each piece once, where
   * adding up thousands of pieces makes a deep tree of strings that the write walks slowly. Kept small: this runs for
   * every row of a GET after a run; the pieces are made by the methods below, each when its cache is empty.
   */
  push(parts: string[], row: Row, d: 0 | 1): void {
    const tail = row.tail[d] ?? this.tail(row, d);
    parts.push(row.start as string, row.runCells ?? this.runCells(row), tail);
  }

  /** Makes the row's tail for details flag `d`: its output, its strip and the row's end. */
  private tail(row: Row, d: 0 | 1): string {
    const tail = (row.output[d] ?? this.substance(row, d)) + (row.strip ?? this.strip(row)) + ROW_END;
    row.tail[d] = tail;
    return tail;
  }

  /** Makes the row's start (if dropped) and its output for details flag `d`; returns the output. */
  private substance(row: Row, d: 0 | 1): string {
    const v = row.view;
    const s = v.state;
    if (row.start === undefined) {
      row.start = rowStartHtml({
        name: v.check.name,
        status: s.status,
        critical: v.check.critical,
        probes: v.check.probes as PageCheck['probes'],
        since: s.since === null ? null : new Date(s.since).toISOString(),
      });
      this.made.substance++;
    }
    const output = rowOutputHtml(checkOf(row, d));
    row.output[d] = output;
    this.made.substance++;
    return output;
  }

  /** Makes the row's run cells: its last run's `<time>`, duration and streaks. */
  private runCells(row: Row): string {
    const s = row.view.state;
    const html = runCellsHtml(this.time(s.lastRun), s.durationMs, s.consecutiveSuccesses, s.consecutiveFailures);
    row.runCells = html;
    this.made.runCells++;
    return html;
  }

  /** The strip of the row's last runs, shared by the rows with the same last runs (most rows, most of the time). */
  private strip(row: Row): string {
    const codes = row.codes;
    let html = this.strips.get(codes);
    if (html === undefined) {
      // Bounded: a registry of flapping checks makes new strings all the time; the common ones come back at once.
      if (this.strips.size >= STRIP_CACHE) this.strips.clear();
      html = stripHtml(codes);
      this.strips.set(codes, html);
      this.made.strips++;
    }
    row.strip = html;
    return html;
  }

  /** The `<time>` of a last run: the same for every run that ended in the same second. */
  private time(ms: number | null): string {
    if (ms === null) return timeHtml(null);
    const second = Math.floor(ms / 1000);
    let html = this.times.get(second);
    if (html === undefined) {
      // Bounded as the strips are: the seconds of one interval's runs come back until the next runs.
      if (this.times.size >= TIME_CACHE) this.times.clear();
      html = timeHtml(new Date(second * 1000).toISOString());
      this.times.set(second, html);
    }
    return html;
  }
}

import type { HealthCore } from '../core/health.js';
import type { CheckView } from '../core/registry.js';
import { sanitizeText } from '../core/sanitize.js';
import { PROBES } from '../core/types.js';
import type { StreamFeed } from '../http/watch.js';
import { NO_ROWS_HTML, summaryText } from './html.js';
import { pageRank } from './model.js';
import { type PageHead, pageAround } from './page.js';
import { checkOf, type MarkupCounts, newRow, type PerDetails, type Row, RowMarkup, readRow, recentCodes } from './row.js';

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The status page's model, cached and updated per changed check. A GET renders from it: each piece of a row's
 * markup is kept until what it shows changed (the page shows absolute times, which the script turns into "12 s ago",
 * so a row does not go stale with the clock; a run makes only its run cells again, see row.ts) and the joined rows
 * until any row changed. Each page stream gets the checks changed since its last message, whole, and those that only
 * ran as compact tuples with their new runs. Nothing is read from the registry unless a check ran or something
 * changed; nothing listens per run.
 */
export class PageFeed {
  private readonly rows: Row[] = [];
  /** Bumped when a refresh finds a change; rows and runs carry the value of the refresh that saw them. */
  private seq = 0;
  /** Bumped when a check is added: a stream then gets the whole model again. */
  private structure = 0;
  private seenRuns = -1;
  private seenSubstance = -1;
  private order: { substance: number; count: number; rows: readonly Row[]; summary: string } | undefined;
  /** The rows per details flag (their pieces, then joined), and the `seq` and order they were made at. */
  private readonly joined: PerDetails<{ seq: number; order: readonly Row[]; rows: string | string[] }> = [undefined, undefined];
  private readonly markup = new RowMarkup();

  constructor(private readonly health: HealthCore) {}

  /** Reads what moved in the registry since the last call. Cheap when nothing did. */
  refresh(): void {
    const h = this.health;
    const views = h.checkViews;
    if (h.runCount === this.seenRuns && h.substanceOf() === this.seenSubstance && views.length === this.rows.length) return;
    this.seenRuns = h.runCount;
    this.seenSubstance = h.substanceOf();
    const seq = ++this.seq;
    for (let i = this.rows.length; i < views.length; i++) {
      this.rows.push(newRow(views[i] as CheckView, i, seq));
      this.structure++;
    }
    const rows = this.rows;
    for (let i = 0; i < rows.length; i++) readRow(rows[i] as Row, seq);
  }

  /** How often the pieces of the rows' markup were made so far (see {@link MarkupCounts}). */
  get markupCounts(): MarkupCounts {
    return this.markup.counts;
  }

  /**
   * The page as HTML, from the cache: only the pieces of the rows that ran or changed since the last GET are made
   * again. After a run the page is one join of all pieces (copied once); the rows alone are joined only when a second
   * GET finds nothing new, and kept for the next ones.
   */
  html(details: boolean, path: string, now = Date.now()): string {
    this.refresh();
    const d = details ? 1 : 0;
    const order = this.ordered();
    const [before, after] = pageAround(this.head(details, now), order.summary, { path });
    const joined = this.joined[d];
    if (joined !== undefined && joined.seq === this.seq && joined.order === order.rows) {
      if (typeof joined.rows !== 'string') joined.rows = joined.rows.join('');
      return before + joined.rows + after;
    }
    const rows = order.rows;
    if (rows.length === 0) return before + NO_ROWS_HTML + after;
    const parts = [before];
    for (let i = 0; i < rows.length; i++) this.markup.push(parts, rows[i] as Row, d);
    parts.push(after);
    // The pieces of the rows, without the document around them: joined by the next GET if nothing moved meanwhile.
    this.joined[d] = { seq: this.seq, order: rows, rows: parts.slice(1, -1) };
    return parts.join('');
  }

  /**
   * A page stream's content: the whole model first; then, on a change in substance, the checks whose status or
   * output changed (whole), and on the run-by-run tick (`all`) also every check that only ran since it was last
   * sent (a compact tuple). Each carries the runs this stream has not had yet, as result codes.
   */
  stream(details: boolean): StreamFeed {
    const d = details ? 1 : 0;
    let structure = -1;
    let globals = '';
    /** Per row (registration index): the feed's seq and the check's substance when this stream last sent it. */
    const seqs: number[] = [];
    const subs: number[] = [];
    return {
      key: () => this.health.substanceOf(),
      render: (all) => {
        this.refresh();
        const head = this.head(details, Date.now());
        const { generatedAt: _, ...rest } = head;
        const now = JSON.stringify(rest);
        const fields = JSON.stringify(head).slice(1, -1);
        if (structure !== this.structure) {
          structure = this.structure;
          globals = now;
          for (const r of this.rows) {
            seqs[r.index] = r.seq;
            subs[r.index] = r.substance;
          }
          const order = JSON.stringify(this.rows.map((r) => r.view.check.name));
          const checks = this.ordered().rows.map((r) => this.checkJson(r, d, 0));
          return `{"type":"model",${fields},"order":${order},"checks":[${checks.join(',')}]}`;
        }
        const changed: string[] = [];
        const ran: string[] = [];
        for (const r of this.rows) {
          const i = r.index;
          const since = seqs[i] as number;
          if (r.substance !== subs[i]) changed.push(this.checkJson(r, d, since));
          else if (all && r.seq > since) ran.push(this.runJson(r, since));
          else continue;
          seqs[i] = r.seq;
          subs[i] = r.substance;
        }
        if (changed.length === 0 && ran.length === 0 && now === globals) return undefined;
        globals = now;
        return `{"type":"update",${fields},"checks":[${changed.join(',')}],"runs":[${ran.join(',')}]}`;
      },
    };
  }

  private head(details: boolean, now: number): PageHead {
    const h = this.health;
    const gates = h.gateState;
    const status = {} as PageHead['status'];
    for (const p of PROBES) status[p] = h.evaluate(p);
    return {
      generatedAt: iso(now),
      status,
      started: gates.started,
      shuttingDown: gates.shuttingDown,
      holds: gates.holds.map((r) => sanitizeText(r)),
      details,
    };
  }

  /** The rows in page order (failing critical, failing, passing; each group in registration order) and the summary. */
  private ordered(): { rows: readonly Row[]; summary: string } {
    const substance = this.health.substanceOf();
    const count = this.rows.length;
    if (this.order?.substance === substance && this.order.count === count) return this.order;
    const marks = this.rows.map((r) => ({ status: r.view.state.status, critical: r.view.check.critical }));
    const ranks = marks.map(pageRank);
    const index = this.rows.map((_, i) => i);
    index.sort((a, b) => (ranks[a] as number) - (ranks[b] as number) || a - b);
    const rows = index.map((i) => this.rows[i] as Row);
    this.order = { substance, count, rows, summary: summaryText({ checks: marks }) };
    return this.order;
  }

  /** The check as JSON (a {@link PageStreamCheck}), with the runs after `since` as `recent`. */
  private checkJson(row: Row, d: 0 | 1, since: number): string {
    let json = row.json[d];
    if (json === undefined) {
      const {
        history: _h,
        lastRun: _l,
        durationMs: _d,
        consecutiveFailures: _f,
        consecutiveSuccesses: _s,
        ...rest
      } = checkOf(row, d);
      json = JSON.stringify(rest).slice(0, -1);
      row.json[d] = json;
    }
    const s = row.view.state;
    const last = s.lastRun === null ? 'null' : `"${iso(s.lastRun)}"`;
    return `${json},"lastRun":${last},"durationMs":${s.durationMs},"consecutiveFailures":${s.consecutiveFailures},"consecutiveSuccesses":${s.consecutiveSuccesses},"recent":"${recentCodes(row, since)}"}`;
  }

  /** A check that only ran, as a {@link PageRunTuple}. */
  private runJson(row: Row, since: number): string {
    const s = row.view.state;
    const last = s.lastRun === null ? 'null' : `"${iso(s.lastRun)}"`;
    return `[${row.index},${last},${s.durationMs},${s.consecutiveSuccesses},${s.consecutiveFailures},"${recentCodes(row, since)}"]`;
  }
}

import type { HealthCore } from '../core/health.js';
import type { CheckView } from '../core/registry.js';
import { sanitizeText } from '../core/sanitize.js';
import { checkSnapshot } from '../core/snapshot.js';
import { PROBES } from '../core/types.js';
import { type PageHead, pageDocument } from './status-page.js';
import { agoMs, NO_ROWS_HTML, rowHtml, slotHtml, stripHtml, summaryText } from './status-page-html.js';
import { HISTORY_SLOTS, type PageCheck, type PageRun, pageCheck, pageRank } from './status-page-model.js';
import type { StreamFeed } from './watch.js';

/** One past run, kept with its JSON and its slot's markup (made once), and the feed's `seq` that first saw it. */
interface Slot {
  readonly seq: number;
  readonly run: PageRun;
  readonly json: string;
  readonly html: string;
}

/** The cached page markup of one row, valid while the check and both relative times ("12 s ago") are the same. */
interface RowHtml {
  readonly seq: number;
  readonly since: string;
  readonly last: string;
  readonly html: string;
}

/** One check as the page shows it, updated when the check ran or changed, never rebuilt otherwise. */
interface Row {
  readonly view: CheckView;
  /** `view.runs` and `view.substance` when last read. */
  runs: number;
  substance: number;
  /** The feed's `seq` of its last change. */
  seq: number;
  slots: Slot[];
  /** Per details flag (0: withheld, 1: shown): the check without its history, its JSON head, its row markup. */
  readonly check: [PageCheck | undefined, PageCheck | undefined];
  readonly head: [string | undefined, string | undefined];
  readonly html: [RowHtml | undefined, RowHtml | undefined];
  strip: string | undefined;
}

const NO_HISTORY: readonly PageRun[] = Object.freeze([]);

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * The status page's model, cached and updated per changed check: a GET renders from it (each row's markup is kept
 * until its check or its relative times change) and each page stream sends the checks changed since its last
 * message. Nothing is read from the registry unless a check ran or something changed; nothing listens per run.
 */
export class PageFeed {
  private readonly rows: Row[] = [];
  /** Bumped when a refresh finds a change; rows and slots carry the value of the refresh that saw them. */
  private seq = 0;
  /** Bumped when a check is added: a stream then gets the whole model again. */
  private structure = 0;
  private seenRuns = -1;
  private seenSubstance = -1;
  private order: { substance: number; count: number; rows: readonly Row[] } | undefined;
  /** The last rows markup per details flag, with the row strings it was joined from. */
  private readonly joined: [{ parts: string[]; rows: string } | undefined, { parts: string[]; rows: string } | undefined] = [
    undefined,
    undefined,
  ];

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
      const view = views[i] as CheckView;
      this.rows.push({
        view,
        runs: 0,
        substance: -1,
        seq,
        slots: [],
        check: [undefined, undefined],
        head: [undefined, undefined],
        html: [undefined, undefined],
        strip: undefined,
      });
      this.structure++;
    }
    for (const row of this.rows) {
      const v = row.view;
      if (v.runs === row.runs && v.substance === row.substance) continue;
      const fresh = Math.min(v.runs - row.runs, HISTORY_SLOTS);
      if (fresh > 0) {
        const entries = v.history.entries();
        for (const e of entries.slice(Math.max(0, entries.length - fresh))) {
          const run: PageRun = { at: iso(e.at), result: e.result, durationMs: e.durationMs };
          row.slots.push({ seq, run, json: JSON.stringify(run), html: slotHtml(run) });
        }
        if (row.slots.length > HISTORY_SLOTS) row.slots = row.slots.slice(-HISTORY_SLOTS);
        row.strip = undefined;
      }
      row.runs = v.runs;
      row.substance = v.substance;
      row.seq = seq;
      row.check[0] = row.check[1] = undefined;
      row.head[0] = row.head[1] = undefined;
    }
  }

  /** The page as HTML, rendered now from the cache. */
  html(details: boolean, path: string, now = Date.now()): string {
    this.refresh();
    const ordered = this.ordered();
    const checks = ordered.map((r) => this.checkOf(r, details));
    const parts = ordered.map((r) => this.rowHtml(r, details, now));
    // The rows of 1,000 checks are megabytes: joined again only when one of them changed.
    const last = this.joined[details ? 1 : 0];
    let rows: string;
    if (last !== undefined && last.parts.length === parts.length && last.parts.every((p, i) => p === parts[i])) rows = last.rows;
    else {
      rows = parts.length === 0 ? NO_ROWS_HTML : parts.join('');
      this.joined[details ? 1 : 0] = { parts, rows };
    }
    return pageDocument(this.head(details, now), summaryText({ checks }), rows, { path });
  }

  /**
   * A page stream's content: the whole model first; then, on a change in substance, only the checks whose status or
   * output changed, and on the run-by-run tick (`all`), every check that ran since it was last sent. Each check
   * carries the runs this stream has not had yet.
   */
  stream(details: boolean): StreamFeed {
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
          this.rows.forEach((r, i) => {
            seqs[i] = r.seq;
            subs[i] = r.substance;
          });
          const order = JSON.stringify(this.rows.map((r) => r.view.check.name));
          const checks = this.ordered().map((r) => this.checkJson(r, details, 0));
          return `{"type":"model",${fields},"order":${order},"checks":[${checks.join(',')}]}`;
        }
        const changed: string[] = [];
        this.rows.forEach((r, i) => {
          const seq = seqs[i] as number;
          if (all ? r.seq <= seq : r.substance === subs[i]) return;
          changed.push(this.checkJson(r, details, seq));
          seqs[i] = r.seq;
          subs[i] = r.substance;
        });
        if (changed.length === 0 && now === globals) return undefined;
        globals = now;
        return `{"type":"update",${fields},"checks":[${changed.join(',')}]}`;
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

  /** The rows in page order: failing critical, failing, passing; each group in registration order. */
  private ordered(): readonly Row[] {
    const substance = this.health.substanceOf();
    const count = this.rows.length;
    if (this.order?.substance === substance && this.order.count === count) return this.order.rows;
    const ranks = this.rows.map((r) => pageRank({ status: r.view.state.status, critical: r.view.check.critical }));
    const index = this.rows.map((_, i) => i);
    index.sort((a, b) => (ranks[a] as number) - (ranks[b] as number) || a - b);
    const rows = index.map((i) => this.rows[i] as Row);
    this.order = { substance, count, rows };
    return rows;
  }

  private checkOf(row: Row, details: boolean): PageCheck {
    const d = details ? 1 : 0;
    let c = row.check[d];
    if (c === undefined) {
      const v = row.view;
      c = pageCheck(v.check.name, checkSnapshot(v.check, v.state), details);
      row.check[d] = c;
    }
    return c;
  }

  /** The check as JSON, with the runs the feed saw after `since` as its `history`. */
  private checkJson(row: Row, details: boolean, since: number): string {
    const d = details ? 1 : 0;
    let head = row.head[d];
    if (head === undefined) {
      const { history: _, ...rest } = this.checkOf(row, details);
      head = JSON.stringify(rest).slice(0, -1);
      row.head[d] = head;
    }
    const runs: string[] = [];
    for (const s of row.slots) if (s.seq > since) runs.push(s.json);
    return `${head},"history":[${runs.join(',')}]}`;
  }

  private rowHtml(row: Row, details: boolean, now: number): string {
    const d = details ? 1 : 0;
    const state = row.view.state;
    const since = state.since === null ? '' : agoMs(state.since, now);
    const last = state.lastRun === null ? '' : agoMs(state.lastRun, now);
    const cached = row.html[d];
    if (cached !== undefined && cached.seq === row.seq && cached.since === since && cached.last === last) return cached.html;
    row.strip ??= stripHtml(
      row.slots.map((s) => s.run),
      row.slots.map((s) => s.html),
    );
    const html = rowHtml({ ...this.checkOf(row, details), history: NO_HISTORY as PageRun[] }, now, row.strip);
    row.html[d] = { seq: row.seq, since, last, html };
    return html;
  }
}

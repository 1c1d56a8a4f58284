import type { HealthCore } from '../core/health.js';
import type { CheckView } from '../core/registry.js';
import { sanitizeText } from '../core/sanitize.js';
import { checkSnapshot } from '../core/snapshot.js';
import { PROBES } from '../core/types.js';
import type { StreamFeed } from '../http/watch.js';
import { NO_ROWS_HTML, RESULT_CODE, ROW_END, rowOutputHtml, rowRunHtml, rowStartHtml, stripHtml, summaryText } from './html.js';
import { HISTORY_SLOTS, type PageCheck, pageCheck, pageRank } from './model.js';
import { type PageHead, pageDocument } from './page.js';

type PerDetails<T> = [T | undefined, T | undefined];

/** One check as the page shows it, updated when the check ran or changed, never rebuilt otherwise. */
interface Row {
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
  /** Cached pieces, dropped when what they show changed: the strip (per run), the rest per status or output. */
  strip: string | undefined;
  start: string | undefined;
  readonly check: PerDetails<PageCheck>;
  readonly output: PerDetails<string>;
  /** The check's JSON without its run-by-run fields, open at the end. */
  readonly json: PerDetails<string>;
  /** The whole row's markup and the `seq` it was made at. */
  readonly html: PerDetails<{ seq: number; html: string }>;
}

/** How many distinct strips the feed keeps. */
const STRIP_CACHE = 512;

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

/**
 * The status page's model, cached and updated per changed check. A GET renders from it: each row's markup is kept
 * until its check ran or changed (the page shows absolute times, which the script turns into "12 s ago", so a row
 * does not go stale with the clock) and the joined rows until any row changed. Each page stream gets the checks
 * changed since its last message, whole, and those that only ran as compact tuples with their new runs. Nothing is
 * read from the registry unless a check ran or something changed; nothing listens per run.
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
  /** The joined rows per details flag, and the `seq` and order they were joined at. */
  private readonly joined: PerDetails<{ seq: number; order: readonly Row[]; rows: string }> = [undefined, undefined];
  /** Strips by their codes (see {@link PageFeed.strip}). */
  private readonly strips = new Map<string, string>();

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
      this.rows.push({
        view: views[i] as CheckView,
        index: i,
        runs: 0,
        substance: -1,
        seq,
        codes: '',
        codeSeqs: [],
        strip: undefined,
        start: undefined,
        check: [undefined, undefined],
        output: [undefined, undefined],
        json: [undefined, undefined],
        html: [undefined, undefined],
      });
      this.structure++;
    }
    for (const row of this.rows) {
      const v = row.view;
      if (v.runs === row.runs && v.substance === row.substance) continue;
      const fresh = Math.min(v.runs - row.runs, HISTORY_SLOTS);
      if (fresh > 0) {
        let codes = row.codes;
        for (const e of v.history.latest(fresh)) {
          codes += RESULT_CODE[e.result];
          row.codeSeqs.push(seq);
        }
        if (codes.length > HISTORY_SLOTS) {
          codes = codes.slice(-HISTORY_SLOTS);
          row.codeSeqs.splice(0, row.codeSeqs.length - HISTORY_SLOTS);
        }
        row.codes = codes;
        row.strip = undefined;
      }
      if (v.substance !== row.substance) {
        row.start = undefined;
        row.check[0] = row.check[1] = undefined;
        row.output[0] = row.output[1] = undefined;
        row.json[0] = row.json[1] = undefined;
      }
      row.runs = v.runs;
      row.substance = v.substance;
      row.seq = seq;
    }
  }

  /** The page as HTML, from the cache: only the rows that ran or changed since the last GET are made again. */
  html(details: boolean, path: string, now = Date.now()): string {
    this.refresh();
    const d = details ? 1 : 0;
    const order = this.ordered();
    let joined = this.joined[d];
    if (joined === undefined || joined.seq !== this.seq || joined.order !== order.rows) {
      const parts = order.rows.map((r) => this.rowHtml(r, d));
      joined = { seq: this.seq, order: order.rows, rows: parts.length === 0 ? NO_ROWS_HTML : parts.join('') };
      this.joined[d] = joined;
    }
    return pageDocument(this.head(details, now), order.summary, joined.rows, { path });
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

  /** The check's page fields as of its last change in substance (its run-by-run fields are read apart). */
  private checkOf(row: Row, d: 0 | 1): PageCheck {
    let c = row.check[d];
    if (c === undefined) {
      const v = row.view;
      c = pageCheck(v.check.name, checkSnapshot(v.check, v.state), d === 1);
      row.check[d] = c;
    }
    return c;
  }

  /** The runs this row had after `since` (a feed seq), as codes. */
  private recent(row: Row, since: number): string {
    let k = row.codeSeqs.length;
    while (k > 0 && (row.codeSeqs[k - 1] as number) > since) k--;
    return row.codes.slice(k);
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
      } = this.checkOf(row, d);
      json = JSON.stringify(rest).slice(0, -1);
      row.json[d] = json;
    }
    const s = row.view.state;
    const last = s.lastRun === null ? 'null' : `"${iso(s.lastRun)}"`;
    return `${json},"lastRun":${last},"durationMs":${s.durationMs},"consecutiveFailures":${s.consecutiveFailures},"consecutiveSuccesses":${s.consecutiveSuccesses},"recent":"${this.recent(row, since)}"}`;
  }

  /** A check that only ran, as a {@link PageRunTuple}. */
  private runJson(row: Row, since: number): string {
    const s = row.view.state;
    const last = s.lastRun === null ? 'null' : `"${iso(s.lastRun)}"`;
    return `[${row.index},${last},${s.durationMs},${s.consecutiveSuccesses},${s.consecutiveFailures},"${this.recent(row, since)}"]`;
  }

  /** The strip of `codes`, shared by the rows with the same last runs (most rows, most of the time). */
  private strip(codes: string): string {
    let html = this.strips.get(codes);
    if (html === undefined) {
      // Bounded: a registry of flapping checks makes new strings all the time; the common ones come back at once.
      if (this.strips.size >= STRIP_CACHE) this.strips.clear();
      html = stripHtml(codes);
      this.strips.set(codes, html);
    }
    return html;
  }

  private rowHtml(row: Row, d: 0 | 1): string {
    const cached = row.html[d];
    if (cached !== undefined && cached.seq === row.seq) return cached.html;
    const v = row.view;
    const s = v.state;
    row.start ??= rowStartHtml({
      name: v.check.name,
      status: s.status,
      critical: v.check.critical,
      probes: v.check.probes as PageCheck['probes'],
      since: isoOrNull(s.since),
    });
    let output = row.output[d];
    if (output === undefined) {
      output = rowOutputHtml(this.checkOf(row, d));
      row.output[d] = output;
    }
    row.strip ??= this.strip(row.codes);
    const run = rowRunHtml(isoOrNull(s.lastRun), s.durationMs, s.consecutiveSuccesses, s.consecutiveFailures);
    const html = `${row.start}${run}${output}${row.strip}${ROW_END}`;
    row.html[d] = { seq: row.seq, html };
    return html;
  }
}

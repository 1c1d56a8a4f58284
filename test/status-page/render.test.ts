// The status page without a browser: the model from a hand-made snapshot, the HTML (escaping, the strip, nothing a
// strict CSP blocks), the assets (no URL, no HTML from data), and the client script run against a small DOM, where
// it must build the very markup the server renders.
import t from 'tap';
import { InvalidOptionError } from '../../src/core/errors.js';
import type { CheckSnapshot, HealthSnapshot } from '../../src/core/snapshot.js';
import type { RunResult } from '../../src/core/types.js';
import {
  ago,
  duration,
  escapeHtml,
  notesHtml,
  probesHtml,
  resultCodes,
  rowsHtml,
  summaryText,
} from '../../src/status-page/html.js';
import {
  HISTORY_SLOTS,
  type PageModel,
  type PageModelMessage,
  pageModel,
  readStatusAssets,
  renderStatusPage,
  STATUS_HTML_HEADERS,
} from '../../src/status-page/page.js';
import { liveRows, runScript } from './fake-dom.js';

const { css: STATUS_CSS, js: STATUS_JS } = readStatusAssets();

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const XSS = '<script>alert(1)</script> & "quotes"';

/** `n` runs, oldest first, one per second up to one second before NOW; `result(i)` picks each result. */
function runs(n: number, result: (i: number) => RunResult = () => 'success'): CheckSnapshot['history'] {
  return Array.from({ length: n }, (_, i) => ({ at: iso(NOW - (n - i) * 1000), result: result(i), durationMs: 2 + i }));
}

function check(over: Partial<CheckSnapshot>): CheckSnapshot {
  return {
    status: 'pass',
    critical: true,
    probes: ['ready'],
    since: iso(NOW - 120_000),
    lastRun: iso(NOW - 1000),
    durationMs: 3.25,
    consecutiveFailures: 0,
    consecutiveSuccesses: 12,
    error: null,
    history: runs(12),
    ...over,
  };
}

/** Registration order: db, cache, search, queue, disk. */
function snapshot(): HealthSnapshot {
  return {
    status: { live: 'pass', ready: 'fail', startup: 'pass' },
    started: true,
    shuttingDown: false,
    holds: ['deploy <b>freeze</b>\nsecond line'],
    checks: {
      db: check({ history: runs(75) }),
      cache: check({
        status: 'fail',
        since: iso(NOW - 12_000),
        consecutiveFailures: 4,
        consecutiveSuccesses: 0,
        error: XSS,
        history: runs(3, (i) => (i === 0 ? 'timeout' : 'failure')),
      }),
      search: check({ status: 'fail', critical: false, error: 'timed out after 50 ms', consecutiveFailures: 3 }),
      queue: check({ status: 'unknown', since: null, lastRun: null, durationMs: null, consecutiveSuccesses: 0, history: [] }),
      disk: check({ probes: ['live', 'ready'], observedValue: 81, observedUnit: '%', output: 'root <fs>' }),
    },
  };
}

t.test('pageModel: order, fields, history, and the details policy', async (t) => {
  const on = pageModel(snapshot(), true, NOW);
  const off = pageModel(snapshot(), false, NOW);
  t.equal(on.generatedAt, iso(NOW));
  t.same(on.status, { live: 'pass', ready: 'fail', startup: 'pass' });
  t.same(on.holds, ['deploy <b>freeze</b>'], 'holds sanitised: one line');
  // Failing critical (cache, and queue: unknown fails readiness), then failing non-critical, then passing.
  t.same(
    on.checks.map((c) => c.name),
    ['cache', 'queue', 'search', 'db', 'disk'],
  );
  const cache = on.checks[0]!;
  t.match(cache, { status: 'fail', critical: true, probes: ['ready'], consecutiveFailures: 4, since: iso(NOW - 12_000) });
  t.equal(cache.output, XSS);
  t.equal(cache.outputKind, 'error');
  t.same(
    cache.history.map((h) => h.result),
    ['timeout', 'failure', 'failure'],
  );

  const offCache = off.checks[0]!;
  t.equal(offCache.output, 'reason withheld');
  t.equal(offCache.outputKind, 'withheld');
  t.notMatch(JSON.stringify(off), /alert|timed out after/, 'no error text anywhere without details');
  t.equal(off.checks.find((c) => c.name === 'search')?.output, 'reason withheld');
  t.equal(off.details, false);

  const disk = off.checks.find((c) => c.name === 'disk')!;
  t.match(disk, { output: 'root <fs>', outputKind: 'output', observedValue: 81, observedUnit: '%', probes: ['live', 'ready'] });
  const queue = off.checks.find((c) => c.name === 'queue')!;
  t.equal(queue.output, undefined);
  t.equal(queue.outputKind, undefined);
  t.equal(queue.lastRun, null);

  const db = on.checks.find((c) => c.name === 'db')!;
  t.equal(db.history.length, HISTORY_SLOTS, 'at most 60 runs');
  t.equal(db.history.at(-1)?.at, iso(NOW - 1000), 'the newest run is kept, last');
  t.equal(db.history[0]?.at, iso(NOW - 60_000), 'oldest first');
  t.same(JSON.parse(JSON.stringify(on)), on, 'plain JSON data');
});

t.test('pageModel does not write to the snapshot', async (t) => {
  const snap = snapshot();
  const before = JSON.stringify(snap);
  const model = pageModel(snap, true, NOW);
  model.checks[0]!.history.push({ at: iso(NOW), result: 'success', durationMs: 1 });
  model.checks[0]!.probes.push('live');
  t.equal(JSON.stringify(snap), before);
});

const page = (model: PageModel, refreshSeconds?: number): string =>
  renderStatusPage(model, refreshSeconds === undefined ? { path: '/health' } : { path: '/health', refreshSeconds });

t.test('the document: head, assets, probes, one row per check', async (t) => {
  const html = page(pageModel(snapshot(), false, NOW));
  t.match(html, /^<!doctype html>\n<html lang="en" /);
  t.match(html, '<meta charset="utf-8">');
  t.match(html, '<meta name="viewport" content="width=device-width, initial-scale=1">');
  t.match(html, /<head>[\s\S]*<noscript><meta http-equiv="refresh" content="5"><\/noscript>[\s\S]*<\/head>/);
  t.match(html, '<link rel="stylesheet" href="/health/status.css">');
  t.match(html, '<script src="/health/status.js" defer></script>');
  t.match(html, '<title>fail &#183; health</title>', 'the page is ASCII: other characters as references');
  for (const [probe, status] of [
    ['live', 'pass'],
    ['ready', 'fail'],
    ['startup', 'pass'],
  ]) {
    t.match(html, `<div class="probe probe-${status}" data-probe="${probe}" data-status="${status}">`);
  }
  const rows = [...html.matchAll(/<tr class="check check-(\w+)" data-check="([^"]+)" data-status="(\w+)">/g)].map((m) =>
    m.slice(1),
  );
  t.same(rows, [
    ['fail', 'cache', 'fail'],
    ['unknown', 'queue', 'unknown'],
    ['warn', 'search', 'fail'],
    ['pass', 'db', 'pass'],
    ['pass', 'disk', 'pass'],
  ]);
  t.match(html, '<span class="pill pill-warn">warn</span>', 'a failing non-critical check warns');
  t.match(html, '<span class="tag tag-noncritical">non-critical</span>');
  t.match(html, '<td><time>2026-03-01 11:59:48Z</time></td>', 'absolute times, UTC: a row does not age with the clock');
  t.match(html, '<td>3.3 ms</td>');
  t.match(html, '<span class="streak streak-fail">4</span>');
  t.match(html, '<td><span class="none">&#8212;</span></td>', 'a dash where there is no time');
  t.match(html, 'updated <time id="updated">2026-03-01 12:00:00Z</time>');
  t.match(html, '<span class="value">81 %</span>');
  t.match(html, '<span class="output output-withheld">reason withheld</span>');
  t.match(html, '<p id="summary" class="summary">5 checks &#183; 1 failing &#183; 1 warning &#183; 1 unknown</p>');
  t.match(html, '<span id="conn" class="conn conn-static">refreshes every 5 s</span>');
  t.match(html, '<p class="note note-fail">Readiness held: deploy &lt;b&gt;freeze&lt;/b&gt;</p>');
  t.notMatch(html, 'second line');
  t.match(page(pageModel(snapshot(), false, NOW), 30), '<noscript><meta http-equiv="refresh" content="30"></noscript>');

  const empty = page(pageModel({ ...snapshot(), checks: {}, holds: [], started: false, shuttingDown: true }, false, NOW));
  t.match(empty, '<tr class="empty"><td colspan="8">No checks registered.</td></tr>');
  t.match(empty, 'Shutting down: readiness fails while the server drains.');
  t.match(empty, 'Startup has not completed yet.');
});

t.test('every text is escaped', async (t) => {
  const html = page(pageModel(snapshot(), true, NOW));
  t.match(html, '<span class="output output-error">&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;</span>');
  t.notMatch(html, '<script>alert');
  t.equal((html.match(/<script/g) ?? []).length, 1, 'one script element: the page script');
  const snap = snapshot();
  (snap.checks.disk as CheckSnapshot).observedUnit = '"><img src=x>';
  t.match(page(pageModel(snap, true, NOW)), '<span class="value">81 &quot;&gt;&lt;img src=x&gt;</span>');
});

t.test('the strip: 60 slots, oldest left, newest right, one element per stretch, one title', async (t) => {
  const html = page(pageModel(snapshot(), true, NOW));
  const strips = [...html.matchAll(/<span class="strip" role="img" title="([^"]*)">(.*?)<\/span><\/td>/g)];
  t.equal(strips.length, 5);
  const slots = (inner: string): [string, number][] =>
    [...inner.matchAll(/<i class="r r-(\w+) n(\d+)"><\/i>/g)].map((m) => [m[1] as string, Number(m[2])]);
  for (const [, , inner] of strips)
    t.equal(
      slots(inner as string).reduce((n, [, k]) => n + k, 0),
      HISTORY_SLOTS,
      '60 slots',
    );
  const [cache, queue, , db] = strips;
  t.equal(cache![1], '3 runs: 0 passed, 3 failed');
  t.equal(queue![1], 'no runs yet');
  t.equal(db![1], '60 runs: 60 passed, 0 failed');
  t.same(slots(cache![2]!), [
    ['empty', 57],
    ['timeout', 1],
    ['failure', 2],
  ]);
  t.same(slots(queue![2]!), [['empty', 60]]);
  t.same(slots(db![2]!), [['success', 60]], 'the newest 60 of 75 runs');
  t.notMatch(html, /<i [^>]*title=/, 'no title per slot');
  const sizes = [...STATUS_CSS.matchAll(/\.n(\d+) \{\s*--n: (\d+);\s*\}/g)].map((m) => [Number(m[1]), Number(m[2])]);
  t.same(
    sizes,
    Array.from({ length: HISTORY_SLOTS }, (_, i) => [i + 1, i + 1]),
    'the stylesheet sizes every stretch',
  );
});

t.test('the page stays small: a few hundred bytes per check', async (t) => {
  const snap = snapshot();
  const checks: HealthSnapshot['checks'] = {};
  for (let i = 0; i < 1000; i++) checks[`check-${i}`] = check({ history: runs(60) });
  const html = page(pageModel({ ...snap, checks }, false, NOW));
  t.ok(html.length < 700_000, `${html.length} bytes for 1,000 checks`);
  t.notMatch(html, /[^\t\n -~]/, 'ASCII only');
});

t.test('nothing a strict CSP blocks, nothing from elsewhere', async (t) => {
  const html = page(pageModel(snapshot(), true, NOW));
  t.notMatch(html, /\sstyle\s*=/i, 'no style attribute');
  t.notMatch(html, /<style/i, 'no style element');
  t.notMatch(html, /\son[a-z]+\s*=/i, 'no event handler attribute');
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    t.match(m[1], /\ssrc="\/health\/status\.js"/, 'a script has a src');
    t.equal(m[2], '', 'and no inline code');
  }
  for (const m of html.matchAll(/\s(?:src|href|action|content)="([^"]*)"/g)) {
    t.notMatch(m[1], /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i, `no URL of another origin: ${m[1]}`);
  }
  t.notMatch(html, /https?:|\/\/|data:/i, 'no absolute URL anywhere in the page');

  t.notMatch(STATUS_CSS, /https?:|\/\/|url\(|@import|@font-face/i, 'the stylesheet loads nothing');
  t.notMatch(STATUS_JS, /https?:|\/\/|data:/i, 'the script names no URL');
  t.notMatch(
    /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\b|new Function|import\(/,
    'no HTML or code from strings',
  );
  t.match(STATUS_JS, /new EventSource\(`\$\{location\.pathname\}\?watch`\)/, 'the stream is the page’s own path');
  t.doesNotThrow(() => new Function(STATUS_JS), 'the script parses');
  t.match(STATUS_HTML_HEADERS['content-security-policy'], /^default-src 'self'(;|$)/);
});

t.test('renderStatusPage validates its options', async (t) => {
  const model = pageModel(snapshot(), false, NOW);
  for (const path of ['/', '//evil.example', 'health', '/health/', '/a b', '/health?x', '']) {
    t.throws(() => renderStatusPage(model, { path }), InvalidOptionError, `path ${JSON.stringify(path)}`);
  }
  for (const refreshSeconds of [0, -1, 1.5, Number.NaN, 3601]) {
    t.throws(() => renderStatusPage(model, { path: '/health', refreshSeconds }), InvalidOptionError, `refresh ${refreshSeconds}`);
  }
  t.match(renderStatusPage(model, { path: '/ops/health' }), '<script src="/ops/health/status.js" defer></script>');
});

t.test('relative times and durations', async (t) => {
  const at = (s: number): string => ago(iso(NOW - s * 1000), NOW);
  t.same(
    [at(0), at(0.9), at(1), at(59), at(60), at(3599), at(3600), at(172_799), at(172_800)],
    ['just now', 'just now', '1 s ago', '59 s ago', '1 min ago', '59 min ago', '1 h ago', '47 h ago', '2 d ago'],
  );
  t.equal(ago(iso(NOW + 5000), NOW), 'just now', 'a time ahead of the clock is now');
  t.same(
    [duration(0), duration(0.44), duration(9.96), duration(12.4), duration(999.4), duration(1234)],
    ['0.0 ms', '0.4 ms', '10.0 ms', '12 ms', '999 ms', '1.23 s'],
  );
});

/** The stream's first message for a model: each check's history as result codes, the registration order. */
function message(model: PageModel): PageModelMessage {
  return {
    ...model,
    type: 'model',
    order: Object.keys(snapshot().checks).filter((n) => model.checks.some((c) => c.name === n)),
    checks: model.checks.map(({ history, ...c }) => ({ ...c, recent: resultCodes(history) })),
  };
}

t.test('the script builds the markup the server renders, and keeps it live', async (t) => {
  const first = pageModel(snapshot(), false, NOW - 30_000);
  const p = runScript(STATUS_JS, first.generatedAt, NOW);
  t.equal(p.sources.length, 1);
  t.equal(p.sources[0]!.url, '/health?watch');
  t.equal(p.intervals.length, 1, 'one ticking interval');

  const model = pageModel(snapshot(), true, NOW);
  // The server's clock is 2 s ahead of the browser's: times are counted as the server counts them.
  p.now = NOW - 2000;
  p.sources[0]!.emit('open');
  t.equal(p.byId.get('conn')!.inner, 'live');
  p.sources[0]!.emit('message', { data: JSON.stringify(message(model)) });
  const now = Date.parse(model.generatedAt);
  t.equal(p.byId.get('checks')!.inner, liveRows(rowsHtml(model), now), 'rows');
  t.equal(p.byId.get('probes')!.inner, probesHtml(model), 'probe cards');
  t.equal(p.byId.get('notes')!.inner, notesHtml(model), 'notes');
  t.equal(escapeHtml(p.byId.get('summary')!.textContent), escapeHtml(summaryText(model)));
  t.equal(p.document.title, 'fail · health');
  t.equal(p.root.getAttribute('data-live'), '1');
  t.equal(p.byId.get('updated')!.getAttribute('datetime'), model.generatedAt);
  t.match(p.byId.get('checks')!.inner, '&lt;script&gt;alert(1)&lt;/script&gt;', 'error text as text');

  const empty = { ...model, checks: [], holds: [], shuttingDown: true, started: false };
  p.sources[0]!.emit('message', { data: JSON.stringify(message(empty)) });
  t.equal(p.byId.get('checks')!.inner, liveRows(rowsHtml(empty), now));
  t.equal(p.byId.get('notes')!.inner, notesHtml(empty));
  p.sources[0]!.emit('message', { data: JSON.stringify(message(model)) });

  // A minute passes: the relative times move on.
  p.now += 60_000;
  p.intervals[0]!();
  t.equal(p.byId.get('updated')!.textContent, '1 min ago');
  t.match(p.byId.get('checks')!.inner, '>1 min ago</time>');
  t.equal(
    p.byId.get('checks')!.inner,
    liveRows(rowsHtml(model), now + 60_000),
    'ticked rows are what the server would render then',
  );

  // Garbage is ignored.
  const before = p.byId.get('checks')!.inner;
  for (const data of ['not json', 'null', '{}', '{"checks":[]}']) p.sources[0]!.emit('message', { data });
  t.equal(p.byId.get('checks')!.inner, before);

  // A dropped stream: EventSource reconnects by itself; the badge says so.
  p.sources[0]!.readyState = 0;
  p.sources[0]!.emit('error');
  t.equal(p.byId.get('conn')!.getAttribute('class'), 'conn conn-down');
  t.equal(p.byId.get('conn')!.textContent, 'reconnecting…');
  t.equal(p.timeouts.length, 0);
  p.sources[0]!.emit('open');
  t.equal(p.byId.get('conn')!.getAttribute('class'), 'conn conn-live');
  // A refused stream (closed): reload, as the noscript refresh would.
  p.sources[0]!.readyState = 2;
  p.sources[0]!.emit('error');
  t.equal(p.byId.get('conn')!.textContent, 'offline · reloading in 5 s');
  t.equal(p.timeouts.length, 1);
  t.equal(p.timeouts[0]!.ms, 5000);
  p.timeouts[0]!.fn();
  t.equal(p.reloads, 1);
});

// The status page follows changes per check: its stream sends the whole model once, then only the checks that
// changed (with their new runs), never the whole table per run; a GET renders from the cached model, byte for byte
// what the pure renderer makes of a snapshot; and the page's script, fed those updates, shows the very rows the
// server would render.
import t from 'tap';
import type { HealthSnapshot } from '../../src/core/snapshot.js';
import { createHealth } from '../../src/health.js';
import { PageFeed } from '../../src/status-page/feed.js';
import { rowsHtml } from '../../src/status-page/html.js';
import {
  type PageMessage,
  type PageModel,
  type PageRunTuple,
  type PageUpdateMessage,
  pageModel,
  readStatusAssets,
  renderStatusPage,
} from '../../src/status-page/page.js';
import { ADAPTERS } from '../helpers/adapters.js';
import { recordingLogger } from '../helpers/logger.js';
import { waitFor } from '../helpers/wait.js';
import { openSse } from '../watch/sse-client.js';
import { liveRows, runScript } from './fake-dom.js';

const CHECKS = 40;

function registry(interval: number) {
  const failing = new Set<string>();
  const runs = { count: 0 };
  const health = createHealth({
    shutdown: { exit: false },
    logger: recordingLogger(),
    defaults: { interval, timeout: Math.min(10, interval - 1), failureThreshold: 1 },
    checks: Array.from({ length: CHECKS }, (_, i) => ({
      name: `c${String(i).padStart(2, '0')}`,
      critical: i % 7 !== 3,
      run: async () => {
        runs.count++;
        if (failing.has(`c${String(i).padStart(2, '0')}`)) throw new Error('down');
      },
    })),
  });
  return { health, failing, runs };
}

const allPass = (s: HealthSnapshot) => Object.values(s.checks).every((c) => c.status === 'pass');

for (const [name, make] of Object.entries(ADAPTERS)) {
  t.test(`${name}: the page stream sends the model once, then only the check that changed`, async (t) => {
    const { health, failing } = registry(20);
    const base = await make(t, health, { statusPage: true, watchInterval: 60_000 });
    await waitFor(() => allPass(health.snapshot()), 'every check to pass');
    const s = await openSse(base, '/health?watch');
    t.teardown(() => s.close());
    const first = JSON.parse(await s.next(() => true)) as PageMessage;
    t.equal(first.type, 'model', 'the first message is the whole model');
    t.equal(first.checks.length, CHECKS);
    failing.add('c05');
    const update = JSON.parse(
      await s.next((d) => (JSON.parse(d) as PageMessage).checks.some((c) => c.name === 'c05' && c.status === 'fail'), 1),
    ) as PageMessage;
    t.equal(update.type, 'update');
    t.same(
      update.checks.map((c) => c.name),
      ['c05'],
      'only the check that changed, although every check ran meanwhile',
    );
    t.equal(update.status.ready, 'fail');
    t.match(update.checks[0]?.recent, /^[sf]+$/, 'with its new runs, as result codes');
    t.ok(s.events.length <= 3, `no message per run (${s.events.length} messages)`);
    await health.stop();
  });
}

type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

/** The feed's page, and what the pure renderer makes of a snapshot at the same instant, must be the same bytes. */
function sameAsPure(t: Tap, feed: PageFeed, snapshot: HealthSnapshot, now: number, details: boolean) {
  const pure = renderStatusPage(pageModel(snapshot, details, now), { path: '/health' });
  t.equal(feed.html(details, '/health', now), pure, `the cached page is the pure page (details ${details})`);
}

t.test('a GET renders from the cache, the same page as the pure renderer', async (t) => {
  const { health, failing, runs } = registry(15);
  health.start();
  t.teardown(() => health.stop());
  const feed = new PageFeed(health);
  await waitFor(() => allPass(health.snapshot()), 'every check to pass');
  const at = Date.now();
  sameAsPure(t, feed, health.snapshot(), at, false);
  failing.add('c03');
  failing.add('c10');
  await waitFor(() => health.snapshot().checks.c10?.status === 'fail', 'c10 to fail');
  sameAsPure(t, feed, health.snapshot(), Date.now(), true);
  const before = runs.count;
  await waitFor(() => runs.count - before > 70 * CHECKS, 'more than 60 runs of each check: the strips wrap');
  // Stopped: the registry is still while the two pages are made.
  await health.stop();
  const snap = health.snapshot();
  for (const later of [0, 1500, 61_000, 3_700_000]) {
    sameAsPure(t, feed, snap, Date.parse(snap.checks.c00?.lastRun as string) + later, false);
    sameAsPure(t, feed, snap, Date.parse(snap.checks.c00?.lastRun as string) + later, true);
  }
});

t.test('the script applies the updates: the rows the server would render', async (t) => {
  const { health, failing } = registry(15);
  health.start();
  t.teardown(() => health.stop());
  await waitFor(() => allPass(health.snapshot()), 'every check to pass');
  const stream = new PageFeed(health).stream(true);
  const first = stream.render(false) as string;
  const page = runScript(readStatusAssets().js, (JSON.parse(first) as PageModel).generatedAt, Date.now());
  const source = page.sources[0];
  if (source === undefined) throw new Error('no EventSource');
  // The page's clock reads each message's own time as it arrives (no skew between server and browser), so that the
  // "N s ago" it shows at the end depends on the data only, never on how long this test took between messages.
  const deliver = (data: string) => {
    const stamp = (JSON.parse(data) as { generatedAt?: string }).generatedAt;
    if (stamp !== undefined) page.now = Date.parse(stamp);
    source.emit('message', { data });
  };
  deliver(first);
  const rounds: [string, () => void][] = [
    ['c05 fails', () => failing.add('c05')],
    ['c03 (non-critical) fails', () => failing.add('c03')],
    ['c05 recovers', () => failing.delete('c05')],
  ];
  for (const [what, act] of rounds) {
    act();
    await waitFor(() => {
      const c = health.snapshot().checks;
      return c.c05?.status === (failing.has('c05') ? 'fail' : 'pass') && c.c03?.status === (failing.has('c03') ? 'fail' : 'pass');
    }, what);
    const update = stream.render(false);
    t.ok(update !== undefined, `${what}: an update`);
    deliver(update as string);
    // Then the run-by-run tick: everything that ran, with its new runs.
    deliver(stream.render(true) as string);
  }
  await health.stop();
  const last = stream.render(true);
  if (last !== undefined) deliver(last);
  const snap = health.snapshot();
  const model = pageModel(snap, true, Date.parse(snap.checks.c00?.lastRun as string));
  page.now = Date.parse(model.generatedAt);
  page.intervals[0]?.();
  const now = Date.parse(model.generatedAt);
  t.equal(page.byId.get('checks')?.inner, liveRows(rowsHtml(model), now), 'rows, their order, strips and times');
  t.equal(model.checks[0]?.name, 'c03', 'the failing non-critical check first (the only failing one)');
});

t.test('the run-by-run tick sends the checks that only ran as compact tuples, with their new runs only', async (t) => {
  const { health } = registry(15);
  health.start();
  t.teardown(() => health.stop());
  await waitFor(() => allPass(health.snapshot()), 'every check to pass');
  const stream = new PageFeed(health).stream(false);
  const first = JSON.parse(stream.render(false) as string) as PageMessage;
  t.equal(first.type, 'model');
  t.equal(stream.render(false), undefined, 'no change in substance: nothing without the tick');
  const before = health.snapshot().checks.c00?.history.length ?? 0;
  await waitFor(() => (health.snapshot().checks.c00?.history.length ?? 0) >= before + 2, 'c00 to run twice more');
  const tick = JSON.parse(stream.render(true) as string) as PageUpdateMessage;
  t.equal(tick.type, 'update');
  t.same(tick.checks, [], 'no whole check: none changed in substance');
  const c00 = tick.runs.find((r) => r[0] === 0);
  t.ok(c00, 'c00 ran');
  const [, lastRun, durationMs, ok, fail, recent] = c00 as PageRunTuple;
  t.match(lastRun, /^\d{4}-\d\d-\d\dT/);
  t.type(durationMs, 'number');
  t.ok(ok > 0);
  t.equal(fail, 0);
  t.match(recent, /^s{2,60}$/, 'its new runs only');
  t.ok(recent.length < 60, `not the whole strip (${recent.length})`);
  const bytes = JSON.stringify(tick.runs[0]).length;
  t.ok(bytes < 80, `a few dozen bytes per check (${bytes})`);
  await health.stop();
});

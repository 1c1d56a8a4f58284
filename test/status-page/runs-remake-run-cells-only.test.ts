// A GET of the status page after checks only ran (no change in substance) makes again only the run cells of the
// rows that ran (last run, duration, streaks): not their start (name, tags, status, since), not their output, and
// not the strip of a steady check past 60 runs. Counted through the feed's markup counts, not timed; the page is
// still, byte for byte, what the pure renderer makes of a snapshot (per-check-updates.test.ts).
import t from 'tap';
import { createHealth } from '../../src/health.js';
import { PageFeed } from '../../src/status-page/feed.js';
import { recordingLogger } from '../helpers/logger.js';
import { waitFor } from '../helpers/wait.js';

const CHECKS = 30;
const name = (i: number) => `c${String(i).padStart(2, '0')}`;

function registry() {
  const failing = new Set<string>();
  const runs = new Map<string, number>();
  const health = createHealth({
    shutdown: { exit: false },
    logger: recordingLogger(),
    // A timeout of 45 ms: a run on a busy machine must not time out, which would change a check's substance.
    defaults: { interval: 50, timeout: 45, failureThreshold: 1 },
    checks: Array.from({ length: CHECKS }, (_, i) => ({
      name: name(i),
      run: async () => {
        runs.set(name(i), (runs.get(name(i)) ?? 0) + 1);
        if (failing.has(name(i))) throw new Error('down');
      },
    })),
  });
  return { health, failing, runs };
}

/** Waits until every check ran at least `more` times since `before`. */
async function everyCheckRan(runs: Map<string, number>, more: number): Promise<void> {
  const before = new Map(runs);
  await waitFor(
    () => Array.from({ length: CHECKS }, (_, i) => name(i)).every((n) => (runs.get(n) ?? 0) >= (before.get(n) ?? 0) + more),
    `every check to run ${more} more times`,
  );
}

t.test('checks that only ran: their run cells are made again, nothing else', async (t) => {
  const { health, runs } = registry();
  health.start();
  t.teardown(() => health.stop());
  await everyCheckRan(runs, 61);
  const feed = new PageFeed(health);
  const first = feed.html(false, '/health');
  const made = feed.markupCounts;
  t.equal(made.substance, 2 * CHECKS, 'a start and an output per row');
  t.equal(made.runCells, CHECKS, 'run cells per row');
  t.equal(made.strips, 1, 'one strip for every steady check past 60 runs');

  await everyCheckRan(runs, 2);
  const second = feed.html(false, '/health');
  t.not(second, first, 'the page shows the new runs');
  const after = feed.markupCounts;
  t.equal(after.substance, made.substance, 'no start or output made again: nothing changed in substance');
  t.equal(after.strips, made.strips, 'the same last 60 runs, the same strip');
  t.equal(after.runCells, made.runCells + CHECKS, 'the run cells of each row that ran, once');

  // A second GET with nothing new (the checks stopped) makes nothing at all and serves the same rows.
  await health.stop();
  const still = feed.html(false, '/health');
  const settled = feed.markupCounts;
  t.equal(feed.html(false, '/health', Date.now() + 60_000).split('<tbody')[1], still.split('<tbody')[1], 'the same rows');
  t.same(feed.markupCounts, settled, 'nothing made for a GET after no run');
});

t.test('a change in substance makes again the start and output of that check only', async (t) => {
  const { health, failing, runs } = registry();
  health.start();
  t.teardown(() => health.stop());
  await waitFor(() => Object.values(health.snapshot().checks).every((c) => c.status === 'pass'), 'every check to pass');
  const feed = new PageFeed(health);
  feed.html(true, '/health');
  const made = feed.markupCounts;
  failing.add('c07');
  await waitFor(() => health.snapshot().checks.c07?.status === 'fail', 'c07 to fail');
  await everyCheckRan(runs, 1);
  await health.stop();
  const page = feed.html(true, '/health');
  const after = feed.markupCounts;
  t.equal(after.substance, made.substance + 2, 'the start and the output of c07, nothing else');
  t.equal(after.runCells, made.runCells + CHECKS, 'and the run cells of every row that ran');
  t.match(page, /<tr class="check check-fail" data-check="c07" data-status="fail">/, 'c07 fails on the page');
  t.match(page, '<span class="output output-error">down</span>', 'with its error (details on)');
});

// The drawn schedule (`jitter`), on a fake clock with a seeded random source: the first run at once, each interval
// within `interval x (1 +/- jitter)` and varying, `jitter: 0` exact, and a fleet started in one tick spreading out.
import t from 'tap';
import { tcpCheck } from '../../plugins/tcp.js';
import type { Check, Timers } from '../../src/core/types.js';
import { createHealth, type Health } from '../../src/health.js';
import { EPOCH, type FakeClock, fakeClock } from '../helpers/clock.js';
import { recordingLogger } from '../helpers/logger.js';

/** mulberry32: a small seeded PRNG, in [0, 1), so that every run of the test draws the same numbers. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** A registry of one no-op check on `fc`, recording the fake time of every run start (ms since the start). */
function registry(fc: FakeClock, check: Partial<Check>, random: () => number, starts: number[]): Health {
  const timers: Timers = { ...fc.timers, random };
  return createHealth({
    timers,
    logger: recordingLogger(),
    shutdown: false,
    checks: [
      {
        name: 'dep',
        ...check,
        run: async () => {
          starts.push(fc.clock.now - EPOCH);
        },
      },
    ],
  });
}

function gaps(starts: number[]): number[] {
  return starts.slice(1).map((s, i) => s - (starts[i] as number));
}

t.test('each interval is drawn within interval x (1 +/- jitter), and they vary; the first run is at once', async (t) => {
  for (const jitter of [0.1, 0.5]) {
    const fc = fakeClock();
    const starts: number[] = [];
    const health = registry(fc, { interval: 1000, timeout: 400, jitter }, seeded(7), starts);
    health.start();
    await fc.tick(0);
    t.same(starts, [0], `jitter ${jitter}: the first run starts at once`);
    await fc.tick(60_000);
    await health.stop();
    const g = gaps(starts);
    t.ok(g.length >= 40, `jitter ${jitter}: ${g.length} intervals`);
    const low = Math.round(1000 * (1 - jitter));
    const high = Math.round(1000 * (1 + jitter));
    t.ok(
      g.every((x) => x >= low && x <= high),
      `jitter ${jitter}: every interval in [${low}, ${high}] (min ${Math.min(...g)}, max ${Math.max(...g)})`,
    );
    t.ok(new Set(g).size >= g.length / 2, `jitter ${jitter}: the intervals vary (${new Set(g).size} distinct)`);
    // The mean stays the interval: the load on the dependency is unchanged.
    const mean = g.reduce((a, b) => a + b, 0) / g.length;
    t.ok(Math.abs(mean - 1000) < 1000 * jitter * 0.5, `jitter ${jitter}: mean interval ${mean.toFixed(1)} ms`);
  }
});

t.test('jitter: 0 keeps the fixed schedule and draws nothing', async (t) => {
  const fc = fakeClock();
  const starts: number[] = [];
  let draws = 0;
  const health = registry(
    fc,
    { interval: 1000, jitter: 0 },
    () => {
      draws++;
      return 0.99;
    },
    starts,
  );
  health.start();
  await fc.tick(10_000);
  await health.stop();
  t.same(
    starts,
    Array.from({ length: 11 }, (_, i) => i * 1000),
    'runs at 0, 1000, 2000, ... exactly',
  );
  t.equal(draws, 0, 'no random number drawn');
});

t.test('the default jitter is 0.1, and `defaults.jitter` applies to every check', async (t) => {
  const fc = fakeClock();
  const starts: number[] = [];
  const health = registry(fc, { interval: 1000 }, () => 0, starts);
  health.start();
  await fc.tick(2000);
  await health.stop();
  t.same(starts, [0, 900, 1800], 'random() = 0 draws interval x 0.9');

  const fc2 = fakeClock();
  const later: number[] = [];
  const timers: Timers = { ...fc2.timers, random: () => 0 };
  const h2 = createHealth({
    timers,
    logger: recordingLogger(),
    shutdown: false,
    defaults: { jitter: 0.5 },
    checks: [{ name: 'dep', interval: 1000, run: async () => void later.push(fc2.clock.now - EPOCH) }],
  });
  h2.start();
  await fc2.tick(1000);
  await h2.stop();
  t.same(later, [0, 500, 1000]);
});

t.test('the check factories take `jitter` like the other check options', async (t) => {
  t.equal(tcpCheck({ host: '127.0.0.1', port: 1, jitter: 0.3 }).jitter, 0.3);
  t.equal(tcpCheck({ host: '127.0.0.1', port: 1 }).jitter, undefined, 'unset: the registry default applies');
});

t.test('a run that takes its whole timeout delays a shorter drawn interval to its end: never two runs at once', async (t) => {
  const fc = fakeClock();
  const starts: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const timers: Timers = { ...fc.timers, random: () => 0 };
  const health = createHealth({
    timers,
    logger: recordingLogger(),
    shutdown: false,
    checks: [
      {
        name: 'slow',
        interval: 1000,
        timeout: 900,
        jitter: 0.5,
        failureThreshold: 100,
        run: (signal) => {
          starts.push(fc.clock.now - EPOCH);
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          return new Promise<void>((_resolve, reject) =>
            signal.addEventListener(
              'abort',
              () => {
                inFlight--;
                reject(signal.reason);
              },
              { once: true },
            ),
          );
        },
      },
    ],
  });
  health.start();
  await fc.tick(3000);
  await health.stop();
  // Drawn 500 ms each time, but each run lasts its 900 ms timeout: the next starts when it ends (a zero-delay timer
  // fires 1 ms later on the fake clock while it is ticking).
  t.equal(starts.length, 4);
  t.ok(
    gaps(starts).every((g) => g >= 900 && g <= 901),
    `starts ${starts.join(', ')}`,
  );
  t.equal(maxInFlight, 1);
});

/**
 * 50 registries started in the same tick, interval 1 s: the runs between 10 s and 20 s in 100 ms windows. Returns the
 * busiest window's count over the mean count per window.
 */
async function fleetPeak(jitter: number | undefined): Promise<{ peak: number; mean: number; runs: number }> {
  const fc = fakeClock();
  const random = seeded(2024);
  const starts: number[] = [];
  const fleet: Health[] = [];
  for (let i = 0; i < 50; i++) {
    fleet.push(registry(fc, { interval: 1000, ...(jitter === undefined ? {} : { jitter }) }, random, starts));
  }
  for (const h of fleet) h.start();
  await fc.tick(20_000);
  await Promise.all(fleet.map((h) => h.stop()));
  const windows = new Array<number>(100).fill(0);
  let runs = 0;
  for (const s of starts) {
    if (s < 10_000 || s >= 20_000) continue;
    windows[Math.floor((s - 10_000) / 100)]!++;
    runs++;
  }
  return { peak: Math.max(...windows), mean: runs / windows.length, runs };
}

t.test('a fleet started in one tick spreads out: the busiest 100 ms window holds at most 5x the mean', async (t) => {
  const fixed = await fleetPeak(0);
  t.equal(fixed.runs, 500, 'jitter 0: 50 registries x 10 runs');
  t.equal(fixed.peak / fixed.mean, 10, 'jitter 0: every run of a second falls in one window (10x the mean)');

  const spread = await fleetPeak(undefined);
  t.ok(spread.runs >= 450 && spread.runs <= 550, `default jitter: ${spread.runs} runs`);
  const ratio = spread.peak / spread.mean;
  t.ok(ratio <= 5, `default jitter: the busiest window holds ${spread.peak} runs, ${ratio.toFixed(2)}x the mean`);
});

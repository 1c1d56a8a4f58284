// The registry's one timer (SharedTimer): a thousand jittered checks keep one timer armed at a time, runs due within
// their slack share a wake-up, a run with `jitter: 0` never starts early, and stop() leaves no timer behind.
import t from 'tap';
import { SharedTimer, TimerSlot } from '../../src/core/shared-timer.js';
import type { Check, Timers } from '../../src/core/types.js';
import { createHealth } from '../../src/health.js';
import { EPOCH, type FakeClock, fakeClock } from '../helpers/clock.js';
import { recordingLogger } from '../helpers/logger.js';

/** `fc`'s timers, counting the timers armed at once (the most seen) and the wake-ups (timers that fired). */
function counted(fc: FakeClock, random: () => number = Math.random) {
  const live = new Set<unknown>();
  const stats = { max: 0, wakeups: 0, live: () => live.size };
  const timers: Timers = {
    now: fc.timers.now,
    random,
    setTimeout: (fn, ms) => {
      const handle: unknown = fc.clock.setTimeout(() => {
        live.delete(handle);
        stats.wakeups++;
        fn();
      }, ms);
      live.add(handle);
      stats.max = Math.max(stats.max, live.size);
      return handle;
    },
    clearTimeout: (handle) => {
      live.delete(handle);
      fc.clock.clearTimeout(handle as never);
    },
  };
  return { timers, stats };
}

function noops(count: number, options: Partial<Check>, starts?: number[][], fc?: FakeClock): Check[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `check-${i}`,
    ...options,
    run: async () => {
      if (starts === undefined || fc === undefined) return;
      const mine = starts[i] ?? [];
      starts[i] = mine;
      mine.push(fc.clock.now - EPOCH);
    },
  }));
}

t.test('1,000 jittered checks: one timer armed at a time, far fewer wake-ups than runs', async (t) => {
  const fc = fakeClock();
  const { timers, stats } = counted(fc);
  let runs = 0;
  const checks = noops(1000, { interval: 1000 }).map((c) => ({ ...c, run: async () => void runs++ }));
  const health = createHealth({ timers, logger: recordingLogger(), shutdown: false, checks });
  health.start();
  await fc.tick(10_000);
  t.ok(runs >= 10_000, `${runs} runs in 10 s of fake time`);
  t.equal(stats.max, 1, 'never more than one timer armed');
  // The runs are spread over +/-100 ms by the jitter; each wake-up takes the runs due within the next 100 ms.
  t.ok(stats.wakeups <= runs / 16, `${stats.wakeups} wake-ups for ${runs} runs`);
  await health.stop();
  t.equal(fc.pending(), 0, 'no timer left after stop()');
  t.equal(stats.live(), 0);
});

t.test(
  'the wake-ups a second do not grow with the interval: 1,000 checks every 5 s wake the timer a few times a second',
  async (t) => {
    const fc = fakeClock();
    const { timers, stats } = counted(fc);
    let runs = 0;
    const checks = noops(1000, { interval: 5000, timeout: 1000 }).map((c) => ({ ...c, run: async () => void runs++ }));
    const health = createHealth({ timers, logger: recordingLogger(), shutdown: false, checks });
    health.start();
    // Past the first runs (all at once) and the first few intervals, while the jitter spreads the runs over the period.
    await fc.tick(60_000);
    const runs0 = runs;
    const wakeups0 = stats.wakeups;
    await fc.tick(60_000);
    const r = runs - runs0;
    const w = stats.wakeups - wakeups0;
    t.ok(r >= 11_000, `${r} runs in the last 60 s of fake time`);
    // Each wake-up takes the runs due within the next 500 ms (the jitter's reach): about 2 wake-ups a second (the
    // runs' timeouts never come due: a run ends first). The 25 ms window made 1,896 in 60 s.
    t.ok(w <= 60 * 4, `${w} wake-ups in 60 s for ${r} runs`);
    await health.stop();
    t.equal(fc.pending(), 0);
  },
);

t.test('runs in flight: their timeouts share the one timer too, and stop() clears it', async (t) => {
  const fc = fakeClock();
  const { timers, stats } = counted(fc);
  let aborted = 0;
  const checks: Check[] = Array.from({ length: 100 }, (_, i) => ({
    name: `hangs-${i}`,
    interval: 1000,
    timeout: 300,
    run: (signal) =>
      new Promise<void>((_resolve, reject) =>
        signal.addEventListener(
          'abort',
          () => {
            aborted++;
            reject(signal.reason);
          },
          { once: true },
        ),
      ),
  }));
  const health = createHealth({ timers, logger: recordingLogger(), shutdown: false, checks });
  health.start();
  await fc.tick(0);
  t.equal(stats.live(), 1, '100 runs in flight, one timer armed (for their timeouts)');
  await fc.tick(300);
  t.equal(aborted, 100, 'every run timed out at 300 ms');
  t.equal(health.snapshot().checks['hangs-0']?.error, 'timed out after 300 ms');
  await fc.tick(1000);
  t.equal(stats.max, 1, 'never more than one timer armed');
  await health.stop();
  t.equal(fc.pending(), 0, 'no timer left after stop()');
});

t.test('jittered runs due within a few ms of each other start in one wake-up', async (t) => {
  const fc = fakeClock();
  // The draws give the three checks 900, 904 and 908 ms; the fourth check's 1020 is beyond the 100 ms window.
  const draws = [0, 0.02, 0.04, 0.6];
  let next = 0;
  const { timers, stats } = counted(fc, () => draws[next++ % draws.length] as number);
  const starts: number[][] = [];
  const health = createHealth({
    timers,
    logger: recordingLogger(),
    shutdown: false,
    checks: noops(4, { interval: 1000, jitter: 0.1 }, starts, fc),
  });
  health.start();
  await fc.tick(0);
  const before = stats.wakeups;
  await fc.tick(1100);
  t.same(
    starts.map((s) => s[1]),
    [900, 900, 900, 1020],
    'the runs due at 900, 904 and 908 start together at 900',
  );
  t.equal(stats.wakeups - before, 2, 'two wake-ups for the four runs');
  await fc.tick(1000);
  // Each next interval counts from the time the run was due, not from its early start: no drift.
  t.same(
    starts.map((s) => s[2]),
    [1800, 1800, 1800, 2040],
    'the next runs are due at 900 + 900, 904 + 904, 908 + 908 and 1020 + 1020: the first three share a wake-up',
  );
  await health.stop();
  t.equal(fc.pending(), 0);
});

t.test('`jitter: 0`: checks due together stay together, however long their runs take', async (t) => {
  const fc = fakeClock();
  const { timers, stats } = counted(fc);
  // The clock moves 10 us a read, as it does while a thousand runs start one after the other: the last run of a
  // wake-up starts tens of ms after the first. The next runs still count from the wake-up, so they stay one burst.
  let reads = 0;
  const drifting: Timers = { ...timers, monotonic: () => fc.clock.now + reads++ * 0.01 };
  let runs = 0;
  const checks = noops(1000, { interval: 1000, jitter: 0 }).map((c) => ({ ...c, run: async () => void runs++ }));
  const health = createHealth({ timers: drifting, logger: recordingLogger(), shutdown: false, checks });
  health.start();
  await fc.tick(2000);
  const runs0 = runs;
  const wakeups0 = stats.wakeups;
  await fc.tick(10_000);
  t.equal(runs - runs0, 10_000, 'every check ran every second');
  t.ok(stats.wakeups - wakeups0 <= 20, `${stats.wakeups - wakeups0} wake-ups for 10 bursts`);
  await health.stop();
  t.equal(fc.pending(), 0);
});

t.test('`jitter: 0`: a run is never started early, even when another wakes the timer just before', async (t) => {
  const fc = fakeClock();
  const starts: number[][] = [];
  const health = createHealth({
    timers: fc.timers,
    logger: recordingLogger(),
    shutdown: false,
    defaults: { jitter: 0 },
    checks: [...noops(1, { interval: 1000 }, starts, fc), { ...noops(1, { interval: 1003 })[0]!, name: 'b' }],
  });
  const b: number[] = [];
  health.on('run', (e: { name: string; at: number }) => {
    if (e.name === 'b') b.push(e.at - EPOCH);
  });
  health.start();
  await fc.tick(2100);
  t.same(starts[0], [0, 1000, 2000]);
  t.same(b, [0, 1003, 2006], 'b runs at its own times');
  await health.stop();
});

t.test('SharedTimer: slots fire in due order (ties in scheduling order), early only within their slack', async (t) => {
  const fc = fakeClock();
  const shared = new SharedTimer(fc.timers);
  const fired: [string, number][] = [];
  const slot = (name: string) => new TimerSlot(() => fired.push([name, fc.clock.now - EPOCH]));
  const [a, b, c, d, e, f] = ['a', 'b', 'c', 'd', 'e', 'f'].map(slot) as TimerSlot[];
  shared.schedule(c!, 100);
  shared.schedule(a!, 50);
  shared.schedule(b!, 50);
  shared.schedule(d!, 105, 10);
  shared.schedule(e!, 103, 0);
  shared.schedule(f!, 120, 10);
  t.equal(fc.pending(), 1, 'one timer for six slots');
  t.equal(shared.size, 6);
  await fc.tick(200);
  t.same(fired, [
    ['a', 50],
    ['b', 50],
    ['c', 100],
    // d (due 105, slack 10) waits behind e (due 103, no slack): a wake-up takes the earliest slots while they may fire.
    ['e', 103],
    ['d', 103],
    ['f', 120],
  ]);
  t.equal(fc.pending(), 0, 'nothing scheduled, no timer armed');
  t.equal(shared.armed, false);
});

t.test('SharedTimer: cancel and reschedule; a slot scheduled again by its own firing waits for the next wake-up', async (t) => {
  const fc = fakeClock();
  const shared = new SharedTimer(fc.timers);
  let count = 0;
  const again: TimerSlot = new TimerSlot(() => {
    count++;
    if (count < 3) shared.schedule(again, 0);
  });
  const cancelled = new TimerSlot(() => t.fail('a cancelled slot fired'));
  const moved: number[] = [];
  const later = new TimerSlot(() => moved.push(fc.clock.now - EPOCH));
  shared.schedule(cancelled, 10);
  shared.schedule(later, 10);
  shared.schedule(later, 30);
  shared.cancel(cancelled);
  shared.cancel(cancelled);
  shared.schedule(again, 5);
  await fc.tick(5);
  t.equal(count, 1, 'fired once in its wake-up, not in a loop');
  await fc.tick(50);
  t.equal(count, 3);
  t.same(moved, [30], 'a slot scheduled again fires once, at its new time');
  t.equal(fc.pending(), 0);
});

t.test('SharedTimer: a slot whose firing throws does not keep the others from firing; the error still surfaces', async (t) => {
  const fc = fakeClock();
  const shared = new SharedTimer(fc.timers);
  const fired: string[] = [];
  shared.schedule(
    new TimerSlot(() => {
      throw new Error('boom');
    }),
    10,
  );
  shared.schedule(new TimerSlot(() => fired.push('same wake-up')), 10);
  shared.schedule(new TimerSlot(() => fired.push('later')), 20);
  await t.rejects(fc.tick(10), /boom/);
  t.same(fired, ['same wake-up']);
  await fc.tick(10);
  t.same(fired, ['same wake-up', 'later'], 'the timer was armed again');
});

t.test('SharedTimer: clear() unschedules every slot and leaves no timer', async (t) => {
  const fc = fakeClock();
  const shared = new SharedTimer(fc.timers);
  const slots = Array.from({ length: 50 }, () => new TimerSlot(() => t.fail('fired after clear()')));
  for (const [i, s] of slots.entries()) shared.schedule(s, 10 + i);
  shared.clear();
  t.equal(shared.size, 0);
  t.equal(fc.pending(), 0);
  await fc.tick(100);
  // A slot can be scheduled again after clear().
  let fired = 0;
  shared.schedule(new TimerSlot(() => fired++), 1);
  await fc.tick(1);
  t.equal(fired, 1);
});

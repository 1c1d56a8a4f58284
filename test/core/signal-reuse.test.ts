// A run's AbortSignal may serve the next runs of the same check (a fresh AbortController per run cost more than the
// rest of a no-op run), but only while nothing can tell: never an aborted signal, never one that still has an `abort`
// listener, never one from before a stop, and never more than SIGNAL_REUSE runs in a row.
import t from 'tap';
import { CheckTimeoutError } from '../../src/core/errors.js';
import { SIGNAL_REUSE } from '../../src/core/scheduler.js';
import type { Check } from '../../src/core/types.js';
import { createHealth } from '../../src/health.js';
import { fakeClock } from '../helpers/clock.js';
import { recordingLogger } from '../helpers/logger.js';
import { deferred } from '../helpers/wait.js';

function setup(run: Check['run'], options: Partial<Check> = {}) {
  const fc = fakeClock();
  const check: Check = { name: 'c', interval: 1000, timeout: 100, failureThreshold: 1, jitter: 0, ...options, run };
  const health = createHealth({ checks: [check], timers: fc.timers, logger: recordingLogger(), shutdown: false });
  return { ...fc, health };
}

/** Runs the check `n` more times (one interval each). */
async function runs(h: ReturnType<typeof setup>, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await h.tick(1000);
}

t.test('runs that end clean share a signal, SIGNAL_REUSE runs at most, and each run gets it unaborted', async (t) => {
  const signals: AbortSignal[] = [];
  const abortedAtStart: boolean[] = [];
  const h = setup(async (signal) => {
    signals.push(signal);
    abortedAtStart.push(signal.aborted);
  });
  h.health.start();
  await h.tick(0);
  await runs(h, 2 * SIGNAL_REUSE);
  t.equal(signals.length, 2 * SIGNAL_REUSE + 1);
  const distinct = new Set(signals);
  t.equal(distinct.size, 3, 'a new signal every SIGNAL_REUSE runs');
  t.equal(signals[SIGNAL_REUSE - 1], signals[0], 'the first SIGNAL_REUSE runs share one');
  t.not(signals[SIGNAL_REUSE], signals[0], 'the next run has a new one');
  t.notOk(abortedAtStart.includes(true), 'no run was handed an aborted signal');
  await h.health.stop();
});

t.test('a run that leaves an abort listener hands the next run a new signal', async (t) => {
  const signals: AbortSignal[] = [];
  const heard: number[] = [];
  const h = setup(async (signal) => {
    const n = signals.push(signal);
    // A listener never removed (a client that forgets its own): it must not pile up with the next runs' own.
    signal.addEventListener('abort', () => heard.push(n));
  });
  h.health.start();
  await h.tick(0);
  await runs(h, 5);
  t.equal(new Set(signals).size, 6, 'every run has its own signal');
  await h.health.stop();
  t.same(heard, [], 'no earlier run hears a later abort');
});

t.test('a signal with an `onabort` handler left on it is not handed on either', async (t) => {
  const signals: AbortSignal[] = [];
  const h = setup(async (signal) => {
    signals.push(signal);
    signal.onabort = () => {};
  });
  h.health.start();
  await h.tick(0);
  await runs(h, 3);
  t.equal(new Set(signals).size, 4);
  await h.health.stop();
});

t.test('a listener removed before the run ends does not stop the reuse (abortable work that cleaned up)', async (t) => {
  const signals: AbortSignal[] = [];
  const h = setup(async (signal) => {
    signals.push(signal);
    const onAbort = () => {};
    signal.addEventListener('abort', onAbort);
    await Promise.resolve();
    signal.removeEventListener('abort', onAbort);
  });
  h.health.start();
  await h.tick(0);
  await runs(h, 3);
  t.equal(new Set(signals).size, 1);
  await h.health.stop();
});

t.test('after a timed-out run the next run has a new, live signal', async (t) => {
  const signals: AbortSignal[] = [];
  const hang = deferred();
  let n = 0;
  const h = setup(async (signal) => {
    signals.push(signal);
    if (++n === 3) await hang.promise;
  });
  h.health.start();
  await h.tick(0);
  await runs(h, 2);
  t.equal(signals[2], signals[0], 'clean runs shared a signal');
  await h.tick(100);
  t.equal(signals[2]!.aborted, true, 'the third run timed out');
  t.type(signals[2]!.reason, CheckTimeoutError);
  hang.resolve();
  await runs(h, 1);
  t.equal(signals.length, 4);
  t.not(signals[3], signals[2]);
  t.equal(signals[3]!.aborted, false);
  await h.health.stop();
});

t.test('a stop aborts the run in progress, and no finished run', async (t) => {
  const signals: AbortSignal[] = [];
  let hang: ReturnType<typeof deferred<void>> | null = null;
  const h = setup(async (signal) => {
    signals.push(signal);
    if (hang) await hang.promise;
  });
  h.health.start();
  await h.tick(0);
  await runs(h, 1);
  hang = deferred<void>();
  await runs(h, 1);
  t.equal(signals.length, 3);
  t.equal(signals[2], signals[0], 'the running run shares the signal of the finished ones');
  await h.health.stop();
  t.equal(signals[2]!.aborted, true, 'the stop aborts the run in progress');
  t.equal(h.pending(), 0, 'no timer left');
  hang.resolve();
});

t.test('a stop between runs aborts no finished run', async (t) => {
  const signals: AbortSignal[] = [];
  const h = setup(async (signal) => {
    signals.push(signal);
  });
  h.health.start();
  await h.tick(0);
  await runs(h, 1);
  await h.health.stop();
  t.equal(signals.length, 2);
  t.equal(signals[0]!.aborted, false);
});

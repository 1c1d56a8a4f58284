// The scheduler, driven through createHealth with a fake clock passed as `timers`: timeouts, the in-flight guard,
// odd `run` results, fatal errors, the re-armed interval, stop() and register() around start/stop.
import t from 'tap';
import { CheckFailedError, CheckPendingError, CheckTimeoutError, codes, RegistryStoppedError } from '../../src/core/errors.js';
import { isConnectionError } from '../../src/core/options.js';
import type { Check, TransitionEvent } from '../../src/core/types.js';
import { createHealth, type Health } from '../../src/health.js';
import { at, EPOCH, fakeClock } from '../helpers/clock.js';
import { recordingLogger } from '../helpers/logger.js';
import { deferred } from '../helpers/wait.js';

function setup(checks: Check[], extra: { closeTimeout?: number } = {}) {
  const fc = fakeClock();
  const logger = recordingLogger();
  // These tests pin the fixed schedule (`jitter: 0`); test/core/jitter.test.ts covers the drawn one.
  const health = createHealth({ checks, timers: fc.timers, logger, shutdown: false, defaults: { jitter: 0 }, ...extra });
  const transitions: TransitionEvent[] = [];
  health.on('transition', (e: TransitionEvent) => transitions.push(e));
  return { ...fc, logger, health, transitions };
}

function checkOf(health: Health, name: string) {
  const c = health.snapshot().checks[name];
  if (c === undefined) throw new Error(`no check ${name}`);
  return c;
}

/** A check that counts its runs and the runs in flight, and hangs until told otherwise. */
function hungCheck(name: string, options: Partial<Check> = {}) {
  const state = { runs: 0, inFlight: 0, maxInFlight: 0, signals: [] as AbortSignal[], settle: [] as (() => void)[] };
  const check: Check = {
    name,
    interval: 1000,
    timeout: 100,
    failureThreshold: 1,
    ...options,
    run(signal) {
      state.runs++;
      state.inFlight++;
      state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
      state.signals.push(signal);
      const d = deferred();
      state.settle.push(d.resolve);
      // Ignores its signal on purpose: the scheduler must fail it on time anyway.
      return d.promise.finally(() => {
        state.inFlight--;
      });
    },
  };
  return { check, state };
}

t.test('a run that exceeds timeout fails with `timed out after N ms` and its signal aborts', async (t) => {
  const { check, state } = hungCheck('slow', { timeout: 150 });
  const h = setup([check]);
  h.health.start();
  await h.tick(0);
  t.equal(state.runs, 1);
  const signal = state.signals[0]!;
  t.equal(signal.aborted, false);
  await h.tick(149);
  t.equal(checkOf(h.health, 'slow').status, 'unknown', 'not failed before the timeout');
  await h.tick(1);
  t.equal(signal.aborted, true, 'the run signal is aborted at the timeout');
  t.type(signal.reason, CheckTimeoutError);
  t.match(signal.reason, { code: codes.CHECK_TIMEOUT, timeoutMs: 150, message: 'timed out after 150 ms' });
  const c = checkOf(h.health, 'slow');
  t.equal(c.status, 'fail');
  t.equal(c.error, 'timed out after 150 ms');
  t.equal(c.durationMs, 150);
  t.equal(h.transitions.length, 1);
  t.type(h.transitions[0]!.error, CheckTimeoutError);
  const body = JSON.parse(h.health.report('ready', { details: true }).body);
  t.equal(body.checks.slow.output, 'timed out after 150 ms');
  await h.health.stop();
  state.settle[0]!();
});

t.test('never two runs in flight: a hung run blocks due runs, which record `previous run still pending`', async (t) => {
  const { check, state } = hungCheck('hung', { failureThreshold: 5 });
  const h = setup([check]);
  h.health.start();
  await h.tick(0);
  await h.tick(100); // t=100: timed out, abandoned, re-armed for t=1000 (start to start)
  t.equal(checkOf(h.health, 'hung').error, 'timed out after 100 ms');
  await h.tick(1000); // t=1100: due at 1000, but the first run has not settled
  t.equal(state.runs, 1, 'no second run while the first is pending');
  let c = checkOf(h.health, 'hung');
  t.equal(c.error, 'previous run still pending');
  t.equal(c.consecutiveFailures, 2);
  await h.tick(1000); // t=2100
  t.equal(state.runs, 1);
  c = checkOf(h.health, 'hung');
  t.equal(c.consecutiveFailures, 3);
  t.equal(c.status, 'unknown', 'pending ticks count against failureThreshold like any failure');
  // The hung run settles (successfully, late): its result is dropped, and the next due tick runs again.
  state.settle[0]!();
  await h.tick(0);
  t.equal(checkOf(h.health, 'hung').consecutiveFailures, 3, 'the late result of the abandoned run is ignored');
  await h.tick(900); // t=3000
  t.equal(state.runs, 2, 'a new run starts once the hung one settled');
  t.equal(state.maxInFlight, 1, 'never two runs in flight');
  t.equal(state.signals[1]!.aborted, false);
  await h.health.stop();
  for (const s of state.settle) s();
});

t.test('the pending failure is a CheckPendingError and the transition carries it', async (t) => {
  const { check, state } = hungCheck('hung', { failureThreshold: 2 });
  const h = setup([check]);
  h.health.start();
  await h.tick(0);
  await h.tick(1100);
  t.equal(h.transitions.length, 1);
  t.type(h.transitions[0]!.error, CheckPendingError);
  t.equal((h.transitions[0]!.error as CheckPendingError).code, codes.CHECK_PENDING);
  t.equal(h.transitions[0]!.durationMs, 0);
  await h.health.stop();
  state.settle[0]!();
});

const oddRuns: { name: string; run: () => unknown; error: string | RegExp; type?: new (...args: never[]) => Error }[] = [
  {
    name: 'throws synchronously',
    run: () => {
      throw new Error('sync boom');
    },
    error: 'sync boom',
  },
  {
    name: 'throws a string synchronously',
    run: () => {
      throw 'sync string';
    },
    error: 'non-error thrown: sync string',
    type: CheckFailedError,
  },
  { name: 'returns a number', run: () => 42, error: 'run() must return a promise, got number', type: CheckFailedError },
  { name: 'returns undefined', run: () => undefined, error: 'run() must return a promise, got undefined' },
  { name: 'returns null', run: () => null, error: 'run() must return a promise, got null' },
  { name: 'returns a plain object', run: () => ({ ok: true }), error: 'run() must return a promise, got object' },
  { name: 'rejects with a string', run: () => Promise.reject('nope'), error: 'non-error thrown: nope', type: CheckFailedError },
  { name: 'rejects with undefined', run: () => Promise.reject(undefined), error: 'non-error thrown: undefined' },
  { name: 'rejects with an object', run: () => Promise.reject({ a: 1 }), error: 'non-error thrown: {"a":1}' },
  { name: 'resolves false', run: async () => false, error: 'check resolved false', type: CheckFailedError },
  { name: 'rejects with an Error', run: async () => Promise.reject(new RangeError('bad range')), error: 'bad range' },
];

for (const row of oddRuns) {
  t.test(`a check that ${row.name} is a failure`, async (t) => {
    const h = setup([{ name: 'odd', failureThreshold: 1, interval: 1000, run: row.run as Check['run'] }]);
    h.health.start();
    await h.tick(0);
    const c = checkOf(h.health, 'odd');
    t.equal(c.status, 'fail');
    t.equal(c.consecutiveFailures, 1);
    t.match(c.error, row.error);
    t.type(h.transitions[0]!.error, row.type ?? Error);
    t.equal(h.transitions[0]!.error instanceof Error, true, 'always an Error, never a bare value');
    await h.tick(1000);
    t.equal(checkOf(h.health, 'odd').consecutiveFailures, 2, 'the schedule goes on');
    await h.health.stop();
  });
}

t.test('success values: nothing, true, and details (other fields ignored)', async (t) => {
  const results: unknown[] = [undefined, true, { observedValue: 3.5, observedUnit: 'ms', output: 'fine', extra: 1 }, 'text'];
  let i = 0;
  const h = setup([{ name: 'ok', interval: 1000, run: async () => results[i++] as undefined }]);
  h.health.start();
  await h.tick(0);
  t.equal(checkOf(h.health, 'ok').status, 'pass');
  await h.tick(1000);
  t.equal(checkOf(h.health, 'ok').consecutiveSuccesses, 2);
  await h.tick(1000);
  t.match(checkOf(h.health, 'ok'), { observedValue: 3.5, observedUnit: 'ms', output: 'fine' });
  await h.tick(1000);
  t.equal(checkOf(h.health, 'ok').consecutiveSuccesses, 4, 'a non-object value is a success');
  t.notOk('observedValue' in checkOf(h.health, 'ok'), 'details of an older run are not kept');
  await h.health.stop();
});

function codeError(code: string, message = code) {
  return Object.assign(new Error(message), { code });
}

const fatalRows: { name: string; error: () => Error; fatal: boolean }[] = [
  { name: 'ECONNREFUSED', error: () => codeError('ECONNREFUSED'), fatal: true },
  { name: 'ENOTFOUND', error: () => codeError('ENOTFOUND'), fatal: true },
  { name: 'EHOSTUNREACH', error: () => codeError('EHOSTUNREACH'), fatal: true },
  { name: 'ENETUNREACH', error: () => codeError('ENETUNREACH'), fatal: true },
  { name: 'ECONNREFUSED in cause', error: () => new Error('fetch failed', { cause: codeError('ECONNREFUSED') }), fatal: true },
  {
    name: 'ENOTFOUND two causes deep',
    error: () => new Error('outer', { cause: new Error('middle', { cause: codeError('ENOTFOUND') }) }),
    fatal: true,
  },
  {
    name: 'EHOSTUNREACH in an AggregateError',
    error: () => new AggregateError([new Error('a'), codeError('EHOSTUNREACH')], 'all attempts failed'),
    fatal: true,
  },
  {
    name: 'AggregateError nested in cause',
    error: () => new Error('connect', { cause: new AggregateError([codeError('ENETUNREACH')]) }),
    fatal: true,
  },
  { name: 'ETIMEDOUT', error: () => codeError('ETIMEDOUT'), fatal: false },
  { name: 'ECONNRESET', error: () => codeError('ECONNRESET'), fatal: false },
  { name: 'a plain Error', error: () => new Error('boom'), fatal: false },
  {
    name: 'a cyclic cause chain',
    error: () => {
      const e = new Error('loop') as Error & { cause?: unknown };
      e.cause = e;
      return e;
    },
    fatal: false,
  },
];

for (const row of fatalRows) {
  t.test(`default fatal classifier: ${row.name} ${row.fatal ? 'fails at once' : 'counts to failureThreshold'}`, async (t) => {
    t.equal(isConnectionError(row.error()), row.fatal);
    const h = setup([{ name: 'dep', interval: 1000, failureThreshold: 3, run: async () => Promise.reject(row.error()) }]);
    h.health.start();
    await h.tick(0);
    t.equal(checkOf(h.health, 'dep').status, row.fatal ? 'fail' : 'unknown');
    await h.tick(2000);
    t.equal(checkOf(h.health, 'dep').status, 'fail', 'fails at the threshold either way');
    await h.health.stop();
  });
}

t.test('a custom fatal classifier; one that throws counts as not fatal; a timeout is never fatal', async (t) => {
  const custom = setup([
    { name: 'custom', interval: 1000, fatal: (e) => e.message === 'auth', run: async () => Promise.reject(new Error('auth')) },
    {
      name: 'refused',
      interval: 1000,
      fatal: () => false,
      run: async () => Promise.reject(codeError('ECONNREFUSED')),
    },
    {
      name: 'throwing',
      interval: 1000,
      fatal: () => {
        throw new Error('classifier bug');
      },
      run: async () => Promise.reject(new Error('x')),
    },
  ]);
  const { check, state } = hungCheck('slow', { failureThreshold: 3, fatal: () => true });
  custom.health.register(check);
  custom.health.start();
  await custom.tick(0);
  await custom.tick(100);
  const snap = custom.health.snapshot().checks;
  t.equal(snap.custom!.status, 'fail', 'the custom classifier applies');
  t.equal(snap.refused!.status, 'unknown', 'the custom classifier replaces the default');
  t.equal(snap.throwing!.status, 'unknown', 'a throwing classifier does not break the run');
  t.equal(snap.slow!.status, 'unknown', 'a timeout does not consult the classifier');
  t.equal(snap.slow!.error, 'timed out after 100 ms');
  await custom.health.stop();
  state.settle[0]!();
});

t.test('runs once per interval (start to start), re-armed after each run ends', async (t) => {
  let fast = 0;
  let slow = 0;
  const fc = fakeClock();
  const health = createHealth({
    timers: fc.timers,
    logger: recordingLogger(),
    shutdown: false,
    defaults: { jitter: 0 },
    checks: [
      {
        name: 'fast',
        interval: 1000,
        run: async () => {
          fast++;
        },
      },
      {
        name: 'slow',
        interval: 1000,
        timeout: 500,
        run: () => {
          slow++;
          // Takes 300 ms of fake time: the next run still starts 1000 ms after this one STARTED.
          return new Promise<void>((resolve) => fc.clock.setTimeout(() => resolve(), 300));
        },
      },
    ],
  });
  health.start();
  await fc.tick(0);
  t.equal(fast, 1, 'the first run starts at once');
  await fc.tick(999);
  t.equal(fast, 1);
  await fc.tick(1);
  t.equal(fast, 2);
  await fc.tick(9500); // t=10500
  t.equal(fast, 11, 'runs at 0, 1000, ..., 10000');
  t.equal(slow, 11, 'runs at 0, 1000, ..., 10000 although each takes 300 ms');
  t.equal(health.snapshot().checks.slow!.durationMs, 300);
  t.equal(fc.pending(), 1, 'one timer for both checks between runs (no interval timers piling up)');
  await health.stop();
});

t.test('a result after a transition keeps `since`; lastRun follows the last run', async (t) => {
  let ok = true;
  const h = setup([
    {
      name: 'flip',
      interval: 1000,
      failureThreshold: 2,
      run: async () => {
        if (!ok) throw new Error('down');
      },
    },
  ]);
  h.health.start();
  await h.tick(0);
  await h.tick(1000);
  t.match(checkOf(h.health, 'flip'), { status: 'pass', since: at(0), lastRun: at(1000), consecutiveSuccesses: 2 });
  ok = false;
  await h.tick(1000);
  t.match(checkOf(h.health, 'flip'), { status: 'pass', since: at(0), lastRun: at(2000), consecutiveFailures: 1 });
  await h.tick(1000);
  t.match(checkOf(h.health, 'flip'), { status: 'fail', since: at(3000), lastRun: at(3000), consecutiveFailures: 2 });
  t.same(
    h.transitions.map((e) => [e.from, e.to, e.at]),
    [
      ['unknown', 'pass', EPOCH],
      ['pass', 'fail', EPOCH + 3000],
    ],
  );
  await h.health.stop();
});

t.test('stop() aborts the running run, drops its result and clears every timer', async (t) => {
  const { check, state } = hungCheck('running', { timeout: 500 });
  let closed = 0;
  const other: Check = {
    name: 'other',
    interval: 1000,
    run: async () => {},
    close: () => {
      closed++;
    },
  };
  const h = setup([check, other]);
  h.health.start();
  await h.tick(0);
  t.ok(h.pending() > 0);
  const signal = state.signals[0]!;
  await h.health.stop();
  t.equal(signal.aborted, true, 'the run in progress is aborted');
  t.equal((signal.reason as Error).name, 'AbortError');
  t.notOk(signal.reason instanceof CheckTimeoutError);
  t.equal(h.pending(), 0, 'no timer left on the clock');
  t.equal(closed, 1, 'close hooks ran');
  state.settle[0]!();
  await h.tick(10_000);
  t.equal(state.runs, 1, 'nothing runs after stop');
  t.equal(checkOf(h.health, 'running').status, 'unknown', 'the aborted run recorded nothing');
  t.equal(h.health.isRunning, false);
  await h.health.stop(); // idempotent
  t.equal(closed, 1, 'close hooks run once');
});

t.test('stop() while a timed-out run is still pending clears every timer too', async (t) => {
  const { check, state } = hungCheck('hung');
  const h = setup([check]);
  h.health.start();
  await h.tick(0);
  await h.tick(1100);
  t.equal(checkOf(h.health, 'hung').error, 'previous run still pending');
  await h.health.stop();
  t.equal(h.pending(), 0);
  state.settle[0]!();
  await h.tick(5000);
  t.equal(state.runs, 1);
});

t.test('a check whose run honours its signal stops at once', async (t) => {
  let aborted = 0;
  const h = setup([
    {
      name: 'polite',
      interval: 1000,
      run: (signal) =>
        new Promise<void>((_resolve, reject) => {
          signal.addEventListener(
            'abort',
            () => {
              aborted++;
              reject(signal.reason);
            },
            { once: true },
          );
        }),
    },
  ]);
  h.health.start();
  await h.tick(0);
  await h.health.stop();
  await h.tick(0);
  t.equal(aborted, 1);
  t.equal(h.pending(), 0);
});

t.test('register after start runs the new check at once', async (t) => {
  const h = setup([{ name: 'first', interval: 1000, run: async () => {} }]);
  h.health.start();
  await h.tick(0);
  let runs = 0;
  h.health.register({
    name: 'late',
    interval: 1000,
    run: async () => {
      runs++;
    },
  });
  await h.tick(0);
  t.equal(runs, 1, 'runs without waiting for an interval');
  t.equal(checkOf(h.health, 'late').status, 'pass');
  await h.tick(1000);
  t.equal(runs, 2);
  await h.health.stop();
});

t.test('register before start does not run until start', async (t) => {
  let runs = 0;
  const h = setup([]);
  h.health.register({
    name: 'early',
    run: async () => {
      runs++;
    },
  });
  await h.tick(10_000);
  t.equal(runs, 0);
  t.equal(h.pending(), 0, 'no timer before start');
  h.health.start();
  h.health.start(); // idempotent: still one schedule
  await h.tick(0);
  t.equal(runs, 1);
  t.equal(h.pending(), 1);
  await h.health.stop();
});

t.test('register and start after stop throw RegistryStoppedError', async (t) => {
  const h = setup([{ name: 'a', run: async () => {} }]);
  h.health.start();
  await h.health.stop();
  t.throws(() => h.health.register({ name: 'b', run: async () => {} }), RegistryStoppedError);
  t.throws(() => h.health.register({ name: 'b', run: async () => {} }), {
    name: 'RegistryStoppedError',
    code: codes.STOPPED,
    message: /stopped/,
  });
  t.throws(() => h.health.start(), RegistryStoppedError);
  t.same(h.health.checkNames, ['a']);
  // Stopping a registry that never started is fine too.
  const never = setup([]);
  await never.health.stop();
  t.throws(() => never.health.register({ name: 'x', run: async () => {} }), RegistryStoppedError);
});

t.test('close hooks: reverse order, one that throws or hangs is logged and bounded by closeTimeout', async (t) => {
  const order: string[] = [];
  const h = setup(
    [
      { name: 'first', run: async () => {}, close: () => void order.push('first') },
      {
        name: 'hangs',
        run: async () => {},
        close: () => {
          order.push('hangs');
          return new Promise<void>(() => {});
        },
      },
      {
        name: 'throws',
        run: async () => {},
        close: () => {
          order.push('throws');
          throw new Error('close failed');
        },
      },
    ],
    { closeTimeout: 250 },
  );
  h.health.start();
  await h.tick(0);
  let stopped = false;
  const stopping = h.health.stop().then(() => {
    stopped = true;
  });
  await h.tick(249);
  t.equal(stopped, false, 'waits for the hanging hook up to closeTimeout');
  await h.tick(1);
  await stopping;
  t.same(order, ['throws', 'hangs', 'first']);
  t.equal(h.pending(), 0);
  const errors = h.logger.entries.filter((e) => e.level === 'error').map((e) => e.msg);
  t.match(errors, [/close hook of check throws failed/, /close hook of check hangs did not finish within 250 ms/]);
});

t.test('transition and startup events; a throwing listener does not break the schedule', async (t) => {
  let ok = true;
  const h = setup([
    {
      name: 'db',
      interval: 1000,
      failureThreshold: 1,
      run: async () => {
        if (!ok) throw new Error('down');
      },
    },
  ]);
  let startups = 0;
  h.health.on('startup', () => {
    startups++;
  });
  h.health.on('transition', () => {
    throw new Error('listener bug');
  });
  h.health.start();
  await h.tick(0);
  ok = false;
  await h.tick(1000);
  ok = true;
  await h.tick(1000);
  t.same(
    h.transitions.map((e) => `${e.from}->${e.to}`),
    ['unknown->pass', 'pass->fail', 'fail->pass'],
  );
  t.equal(startups, 1, 'startup is emitted once');
  t.match(h.transitions[1], { name: 'db', critical: true, error: { message: 'down' } });
  t.notOk('error' in h.transitions[2]!, 'a recovery carries no error');
  t.equal(h.logger.entries.filter((e) => e.msg?.includes("'transition' listener failed")).length, 3);
  t.equal(checkOf(h.health, 'db').status, 'pass');
  await h.health.stop();
});

t.test('the run gets `this` bound to the check object', async (t) => {
  // `marker` is not a check option (the registry would reject it as unknown), so it lives on the prototype.
  const proto = { marker: 'mine' };
  const obj = Object.assign(Object.create(proto), {
    name: 'self',
    interval: 1000,
    async run(this: { marker: string }) {
      if (this.marker !== 'mine') throw new Error('lost this');
    },
  });
  const h = setup([obj]);
  h.health.start();
  await h.tick(0);
  t.equal(checkOf(h.health, 'self').status, 'pass');
  await h.health.stop();
});

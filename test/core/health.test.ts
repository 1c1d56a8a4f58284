// The registry end to end with a fake clock: aggregation over time (hold, startup latch, warn), cached answers,
// report() queries and snapshot().
import t from 'tap';
import type { HealthOptions } from '../../src/core/health.js';
import type { Check, Probe } from '../../src/core/types.js';
import { createHealth, Health } from '../../src/health.js';
import { at, fakeClock } from '../helpers/clock.js';
import { recordingLogger } from '../helpers/logger.js';

/**
 * A check whose next result the test sets: `ok` true/false, or `null` to hang (honouring the signal) until
 * `set()` settles the hanging run with a result.
 */
function controlled(name: string, options: Partial<Check> = {}) {
  const control = {
    ok: true as boolean | null,
    runs: 0,
    message: 'down',
    pending: [] as ((ok: boolean) => void)[],
    set(ok: boolean) {
      control.ok = ok;
      for (const settle of control.pending.splice(0)) settle(ok);
    },
  };
  const check: Check = {
    name,
    interval: 1000,
    failureThreshold: 1,
    ...options,
    run(signal) {
      control.runs++;
      if (control.ok === null) {
        return new Promise<void>((resolve, reject) => {
          control.pending.push((ok) => (ok ? resolve() : reject(new Error(control.message))));
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        });
      }
      return control.ok ? Promise.resolve() : Promise.reject(new Error(control.message));
    },
  };
  return { check, control };
}

function setup(checks: Check[], extra: Partial<HealthOptions> = {}) {
  const fc = fakeClock();
  const logger = recordingLogger();
  // A fixed schedule (`jitter: 0`): the tests count runs at exact instants.
  const health = createHealth({ checks, timers: fc.timers, logger, shutdown: false, defaults: { jitter: 0 }, ...extra });
  const code = (probe: Probe) => health.report(probe).statusCode;
  const body = (probe: Probe, query = {}) => JSON.parse(health.report(probe, query).body);
  return { ...fc, health, logger, code, body };
}

t.test('/live fails only when a critical live check fails', async (t) => {
  const loop = controlled('loop', { probes: ['live'] });
  const soft = controlled('soft', { probes: ['live'], critical: false });
  const db = controlled('db');
  const h = setup([loop.check, soft.check, db.check]);
  loop.control.ok = null;
  h.health.start();
  await h.tick(0);
  t.equal(h.code('live'), 200, 'unknown passes liveness');
  t.equal(h.body('live').checks.loop.status, 'unknown');
  loop.control.set(true);
  await h.tick(0);
  db.control.ok = false;
  soft.control.ok = false;
  await h.tick(1000);
  t.equal(h.body('live').status, 'warn', 'a failing non-critical live check warns');
  t.equal(h.code('live'), 200);
  t.equal(h.code('ready'), 503, 'the failing ready check fails readiness only');
  loop.control.ok = false;
  await h.tick(1000);
  t.equal(h.code('live'), 503);
  t.equal(h.body('live').status, 'fail');
  await h.health.stop();
});

t.test('/ready: held, startup not complete, any critical check not pass', async (t) => {
  const db = controlled('db');
  const cache = controlled('cache');
  const search = controlled('search', { critical: false });
  const h = setup([db.check, cache.check, search.check]);
  cache.control.ok = null;
  h.health.start();
  await h.tick(0);
  t.equal(h.code('ready'), 503, 'unknown is not ready');
  t.same(h.body('ready').reason, 'startup not complete');
  t.equal(h.body('ready').checks.cache.status, 'unknown');
  await h.tick(300);
  cache.control.set(true);
  await h.tick(0);
  t.equal(h.code('ready'), 200);
  t.same(h.body('ready'), {
    status: 'pass',
    checks: {
      db: {
        status: 'pass',
        critical: true,
        since: at(0),
        lastRun: at(0),
        durationMs: 0,
        consecutiveFailures: 0,
        consecutiveSuccesses: 1,
      },
      cache: {
        status: 'pass',
        critical: true,
        since: at(300),
        lastRun: at(300),
        durationMs: 300,
        consecutiveFailures: 0,
        consecutiveSuccesses: 1,
      },
      search: {
        status: 'pass',
        critical: false,
        since: at(0),
        lastRun: at(0),
        durationMs: 0,
        consecutiveFailures: 0,
        consecutiveSuccesses: 1,
      },
    },
  });
  const release = h.health.hold('warming cache');
  const second = h.health.hold('migrating');
  t.equal(h.code('ready'), 503);
  t.equal(h.body('ready').reason, 'warming cache; migrating');
  t.equal(h.code('live'), 200, 'a hold does not touch liveness');
  t.equal(h.code('startup'), 200, 'nor startup');
  release();
  release(); // harmless
  t.equal(h.body('ready').reason, 'migrating');
  second();
  t.equal(h.code('ready'), 200);
  t.notOk('reason' in h.body('ready'));
  t.same(h.health.snapshot().holds, []);
  search.control.ok = false;
  await h.tick(1000);
  t.equal(h.code('ready'), 200, 'a failing non-critical check keeps 200');
  t.equal(h.body('ready').status, 'warn');
  db.control.ok = false;
  await h.tick(1000);
  t.equal(h.code('ready'), 503);
  t.equal(h.body('ready').status, 'fail');
  t.notOk('reason' in h.body('ready'), 'a failing check is no registry reason');
  await h.health.stop();
});

t.test('/startup: 200 once every critical ready check passed once, then stays 200', async (t) => {
  const db = controlled('db');
  const cache = controlled('cache');
  const optional = controlled('optional', { critical: false });
  const h = setup([db.check, cache.check, optional.check]);
  cache.control.ok = false;
  optional.control.ok = null;
  let startups = 0;
  h.health.on('startup', () => startups++);
  h.health.start();
  await h.tick(0);
  t.equal(h.code('startup'), 503);
  t.equal(h.health.snapshot().started, false);
  cache.control.ok = true;
  await h.tick(1000);
  t.equal(h.code('startup'), 200, 'the non-critical unknown check does not gate startup');
  t.equal(startups, 1);
  db.control.ok = false;
  cache.control.ok = false;
  await h.tick(1000);
  t.equal(h.code('ready'), 503);
  t.equal(h.code('startup'), 200, 'latched');
  t.equal(h.body('startup').status, 'pass');
  t.equal(startups, 1);
  t.equal(h.health.snapshot().started, true);
  t.ok(h.logger.entries.some((e) => e.msg === 'probekit: startup complete'));
  await h.health.stop();
});

t.test('/startup: when some check lists startup, only those gate it', async (t) => {
  const boot = controlled('boot', { probes: ['startup'] });
  const db = controlled('db');
  const h = setup([boot.check, db.check]);
  boot.control.ok = null;
  db.control.ok = true;
  h.health.start();
  await h.tick(0);
  t.equal(h.code('startup'), 503, 'the explicit startup check is unknown');
  t.equal(h.code('ready'), 503, 'readiness waits for startup');
  t.equal(h.body('ready').reason, 'startup not complete');
  t.same(Object.keys(h.body('startup').checks), ['boot']);
  boot.control.set(true);
  await h.tick(0);
  t.equal(h.code('startup'), 200);
  t.equal(h.code('ready'), 200);
  await h.health.stop();
});

t.test('a registry with no checks: every probe passes once started', async (t) => {
  const h = setup([]);
  t.equal(h.code('ready'), 503, 'not started yet: startup not complete');
  h.health.start();
  for (const p of ['live', 'ready', 'startup'] as const) {
    t.equal(h.code(p), 200);
    t.same(h.body(p), { status: 'pass', checks: {} });
  }
  await h.health.stop();
});

t.test('report(): the answer is cached until something changes, and a hit runs nothing', async (t) => {
  const db = controlled('db');
  const h = setup([db.check]);
  h.health.start();
  await h.tick(0);
  const runs = db.control.runs;
  const a = h.health.report('ready');
  const b = h.health.report('ready');
  t.equal(a, b, 'the same object for the same question');
  t.equal(h.health.report('ready', { format: 'text' }), h.health.report('ready', { format: 'text' }));
  t.equal(h.health.report('ready', { check: 'db' }), h.health.report('ready', { check: 'db' }));
  t.not(h.health.report('ready', { details: true }), a, 'details are another answer');
  for (let i = 0; i < 100; i++) h.health.report('ready');
  t.equal(db.control.runs, runs, 'probe hits do no work');
  const release = h.health.hold('x');
  t.not(h.health.report('ready'), a, 'a hold invalidates');
  release();
  const c = h.health.report('ready');
  await h.tick(1000);
  t.not(h.health.report('ready'), c, 'a new result invalidates');
  await h.health.stop();
});

t.test('report(): one check, unknown names, exclude, formats', async (t) => {
  const db = controlled('db');
  const cache = controlled('cache');
  const loop = controlled('loop', { probes: ['live'] });
  const h = setup([db.check, cache.check, loop.check]);
  cache.control.ok = false;
  h.health.start();
  await h.tick(0);
  t.equal(h.health.report('ready', { check: 'db' }).statusCode, 200);
  t.same(Object.keys(h.body('ready', { check: 'db' }).checks), ['db']);
  t.equal(h.health.report('ready', { check: 'cache' }).statusCode, 503);
  const missing = h.health.report('ready', { check: 'nope' });
  t.equal(missing.statusCode, 404);
  t.equal(missing.status, 'error');
  t.equal(h.health.report('live', { check: 'db' }).statusCode, 404, 'db is not a live check');
  t.equal(h.health.report('live', { check: 'loop' }).statusCode, 200);
  t.equal(h.health.report('ready', { exclude: ['cache'] }).statusCode, 503, 'startup never completed: cache never passed');
  cache.control.ok = true;
  await h.tick(1000);
  cache.control.ok = false;
  await h.tick(1000);
  t.equal(h.code('ready'), 503);
  const excluded = h.health.report('ready', { exclude: ['cache', 'unknown-name'] });
  t.equal(excluded.statusCode, 200);
  t.same(Object.keys(JSON.parse(excluded.body).checks), ['db']);
  t.equal(h.health.report('ready', { format: 'text' }).body, '[-]cache failed: reason withheld\n[+]db ok\nready check failed\n');
  t.match(h.health.report('ready', { format: 'text', details: true }).body, /\[-\]cache failed: down\n/);
  t.equal(h.health.report('ready', { format: 'health+json' }).headers['content-type'], 'application/health+json; charset=utf-8');
  await h.health.stop();
});

t.test('snapshot(): a plain copy of the whole registry', async (t) => {
  const db = controlled('db', { probes: ['ready', 'live'] });
  const lag = controlled('lag');
  lag.check.run = async () => ({ observedValue: 4, observedUnit: 'ms', output: 'behind by mysql://u:p@h' });
  const h = setup([db.check, lag.check]);
  db.control.ok = false;
  db.control.message = 'auth failed for postgres://app:hunter2@db/x';
  h.health.start();
  await h.tick(0);
  const s = h.health.snapshot();
  t.same(s.status, { live: 'fail', ready: 'fail', startup: 'fail' });
  t.equal(s.started, false);
  t.equal(s.shuttingDown, false);
  t.same(s.checks.db, {
    status: 'fail',
    critical: true,
    probes: ['ready', 'live'],
    since: at(0),
    lastRun: at(0),
    durationMs: 0,
    consecutiveFailures: 1,
    consecutiveSuccesses: 0,
    error: 'auth failed for postgres://***@db/x',
    history: [{ at: at(0), result: 'failure', durationMs: 0 }],
  });
  t.match(s.checks.lag, { status: 'pass', observedValue: 4, observedUnit: 'ms', error: null });
  s.checks.db!.probes.push('startup');
  t.same(h.health.snapshot().checks.db!.probes, ['ready', 'live'], 'the copy is detached');
  await h.health.stop();
});

t.test('transitions are logged: warn when failing (with the error), info when passing', async (t) => {
  const db = controlled('db');
  const h = setup([db.check]);
  h.health.start();
  await h.tick(0);
  db.control.ok = false;
  await h.tick(1000);
  const warn = h.logger.entries.find((e) => e.level === 'warn');
  t.match(warn, { msg: 'probekit: check db is failing', obj: { check: 'db', from: 'pass', to: 'fail', err: Error } });
  t.ok(h.logger.entries.some((e) => e.level === 'info' && e.msg === 'probekit: check db is passing'));
  await h.health.stop();
});

t.test('createHealth returns a Health; the default logger is pino', async (t) => {
  const health = createHealth({ shutdown: false });
  t.type(health, Health);
  t.type(health.logger.info, 'function');
  t.same(health.checkNames, []);
  t.equal(health.isRunning, false);
  health.start();
  t.equal(health.isRunning, true);
  await health.stop();
  t.equal(health.isRunning, false);
});

t.test('history: the last historySize runs per check, oldest first, bounded; a run event per run', async (t) => {
  const db = controlled('db');
  const h = setup([db.check], { historySize: 3 });
  const runs: string[] = [];
  h.health.on('run', (e) => runs.push(`${e.name}:${e.result}:${e.status}`));
  h.health.start();
  await h.tick(0);
  db.control.ok = false;
  for (let i = 0; i < 4; i++) await h.tick(1000);
  const history = h.health.snapshot().checks.db?.history ?? [];
  t.same(
    history.map((e) => e.result),
    ['failure', 'failure', 'failure'],
    'only the last three of five runs',
  );
  t.same(
    history.map((e) => e.at),
    [at(2000), at(3000), at(4000)],
    'oldest first',
  );
  t.same(runs.slice(0, 2), ['db:success:pass', 'db:failure:fail']);
  t.equal(runs.length, 5);
  t.throws(() => createHealth({ historySize: -1, shutdown: false }), { code: 'PROBEKIT_ERR_OPTION_INVALID' });
  t.throws(() => createHealth({ historySize: 1001, shutdown: false }), { code: 'PROBEKIT_ERR_OPTION_INVALID' });
  await h.health.stop();
});

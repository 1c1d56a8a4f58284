// healthMetrics(): where the series go, what they say before and after runs of every result, the prefix, the
// coded errors (bad arguments, a second call on one registry) and close().
import {
  Counter,
  Gauge,
  type OpenMetricsContentType,
  openMetricsContentType,
  prometheusContentType,
  Registry,
  type RegistryContentType,
  register,
} from 'prom-client';
import t from 'tap';
import { isProbekitError } from '../../src/core/errors.js';
import { healthMetrics } from '../../src/metrics/index.js';
import { DURATION_BUCKETS } from '../../src/metrics/series.js';
import { waitFor } from '../helpers/wait.js';
import { parseSamples, quietHealth, recordRuns, sample, steeredCheck, typesOf } from './fixtures.js';

const NAMES = [
  'probekit_check_up',
  'probekit_check_status',
  'probekit_check_runs_total',
  'probekit_check_duration_seconds',
  'probekit_check_last_success_timestamp_seconds',
  'probekit_check_consecutive_failures',
  'probekit_probe_up',
  'probekit_shutdown_in_progress',
];

t.test('a registry of their own by default, never the global one', async (t) => {
  const health = quietHealth(t, { checks: [steeredCheck('db').check] });
  const globalBefore = await register.metrics();
  const m = healthMetrics(health);
  t.teardown(() => m.close());
  t.type(m.registry, Registry);
  t.not(m.registry, register, 'not prom-client’s global registry');
  t.same(
    m.registry
      .getMetricsAsArray()
      .map((x) => x.name)
      .sort(),
    [...NAMES].sort(),
  );
  const again = healthMetrics(health);
  t.teardown(() => again.close());
  t.not(again.registry, m.registry, 'a second call without `registry` gets a new one too, and does not throw');
  t.equal(await register.metrics(), globalBefore, 'the global registry did not change');
  t.equal(m.contentType, prometheusContentType);
});

t.test('before any run: every series of a registered check exists, the counters at 0', async (t) => {
  const health = quietHealth(t, { checks: [steeredCheck('db').check, steeredCheck('cache', { critical: false }).check] });
  const m = healthMetrics(health);
  const text = await m.text();
  const s = parseSamples(text);
  t.same(typesOf(text), {
    probekit_check_up: 'gauge',
    probekit_check_status: 'gauge',
    probekit_check_runs_total: 'counter',
    probekit_check_duration_seconds: 'histogram',
    probekit_check_last_success_timestamp_seconds: 'gauge',
    probekit_check_consecutive_failures: 'gauge',
    probekit_probe_up: 'gauge',
    probekit_shutdown_in_progress: 'gauge',
  });
  for (const check of ['db', 'cache']) {
    t.equal(sample(s, 'probekit_check_up', { check }), 0, `${check}: not up before its first result`);
    t.equal(sample(s, 'probekit_check_status', { check, state: 'unknown' }), 1);
    t.equal(sample(s, 'probekit_check_status', { check, state: 'pass' }), 0);
    t.equal(sample(s, 'probekit_check_status', { check, state: 'fail' }), 0);
    for (const result of ['success', 'failure', 'timeout', 'pending']) {
      t.equal(sample(s, 'probekit_check_runs_total', { check, result }), 0, `${check} ${result}: pre-created at 0`);
    }
    t.equal(sample(s, 'probekit_check_duration_seconds_count', { check }), 0);
    t.same(
      s.filter((x) => x.name === 'probekit_check_duration_seconds_bucket' && x.labels.check === check).map((x) => x.labels.le),
      [...DURATION_BUCKETS.map(String), '+Inf'],
      'buckets from 1 ms to 10 s',
    );
    t.equal(sample(s, 'probekit_check_last_success_timestamp_seconds', { check }), undefined, 'absent until a success');
    t.equal(sample(s, 'probekit_check_consecutive_failures', { check }), 0);
  }
  for (const probe of ['live', 'ready', 'startup'] as const) {
    t.equal(sample(s, 'probekit_probe_up', { probe }), health.evaluate(probe) === 'fail' ? 0 : 1, `${probe}: as evaluate()`);
  }
  t.equal(sample(s, 'probekit_probe_up', { probe: 'ready' }), 0, 'ready fails before the first results');
  t.equal(sample(s, 'probekit_shutdown_in_progress'), 0);
  m.close();
});

t.test('counters and histogram follow every run; gauges follow the state', async (t) => {
  const ok = steeredCheck('ok');
  const bad = steeredCheck('bad');
  bad.control.ok = false;
  // Ignores its signal and settles after 250 ms: a timeout (40 ms), then pending runs while it hangs.
  const slow = {
    name: 'slow',
    interval: 100,
    timeout: 40,
    failureThreshold: 2,
    run: () => new Promise<void>((resolve) => setTimeout(resolve, 250)),
  };
  const health = quietHealth(t, { checks: [ok.check, bad.check, slow] });
  const m = healthMetrics(health);
  t.teardown(() => m.close());
  const runs = recordRuns(t, health);
  health.start();
  const seen = (name: string, result: string) => runs.filter((r) => r.name === name && r.result === result).length;
  await waitFor(
    () => seen('slow', 'pending') >= 2 && seen('slow', 'timeout') >= 2 && seen('ok', 'success') >= 3,
    'every result',
    5000,
  );
  await health.stop();

  const s = parseSamples(await m.text());
  for (const name of ['ok', 'bad', 'slow']) {
    for (const result of ['success', 'failure', 'timeout', 'pending']) {
      t.equal(sample(s, 'probekit_check_runs_total', { check: name, result }), seen(name, result), `${name} ${result}`);
    }
    const started = runs.filter((r) => r.name === name && r.result !== 'pending');
    t.equal(
      sample(s, 'probekit_check_duration_seconds_count', { check: name }),
      started.length,
      `${name}: one observation per started run`,
    );
    const sum = started.reduce((a, r) => a + r.durationMs / 1000, 0);
    t.ok(
      Math.abs((sample(s, 'probekit_check_duration_seconds_sum', { check: name }) ?? -1) - sum) < 1e-9,
      `${name}: sum in seconds`,
    );
  }
  t.ok(
    (sample(s, 'probekit_check_duration_seconds_bucket', { check: 'slow', le: '0.025' }) ?? -1) === 0,
    'timeouts of 40 ms are above 25 ms',
  );
  const snap = health.snapshot().checks;
  t.equal(sample(s, 'probekit_check_up', { check: 'ok' }), 1);
  t.equal(sample(s, 'probekit_check_up', { check: 'bad' }), 0);
  t.equal(sample(s, 'probekit_check_up', { check: 'slow' }), 0);
  t.equal(sample(s, 'probekit_check_status', { check: 'bad', state: 'fail' }), 1);
  t.equal(sample(s, 'probekit_check_status', { check: 'slow', state: 'fail' }), 1);
  for (const name of ['ok', 'bad', 'slow']) {
    t.equal(
      sample(s, 'probekit_check_consecutive_failures', { check: name }),
      snap[name]!.consecutiveFailures,
      `${name}: failures`,
    );
  }
  const lastOk = runs.filter((r) => r.name === 'ok' && r.result === 'success').at(-1)!;
  t.equal(
    sample(s, 'probekit_check_last_success_timestamp_seconds', { check: 'ok' }),
    lastOk.at / 1000,
    'end of the last success',
  );
  t.equal(sample(s, 'probekit_check_last_success_timestamp_seconds', { check: 'bad' }), undefined, 'never passed: absent');
  t.equal(sample(s, 'probekit_probe_up', { probe: 'ready' }), 0);
});

t.test('created after runs: the last success comes from the history; later checks get their series at 0', async (t) => {
  const ok = steeredCheck('ok');
  const health = quietHealth(t, { checks: [ok.check] });
  const runs = recordRuns(t, health);
  health.start();
  await waitFor(() => runs.length >= 1, 'a run');
  ok.control.ok = false;
  await waitFor(() => runs.some((r) => r.result === 'failure'), 'a failure');
  const m = healthMetrics(health);
  t.teardown(() => m.close());
  const last = runs.filter((r) => r.result === 'success').at(-1)!;
  let s = parseSamples(await m.text());
  t.equal(sample(s, 'probekit_check_last_success_timestamp_seconds', { check: 'ok' }), last.at / 1000);
  t.equal(sample(s, 'probekit_check_runs_total', { check: 'ok', result: 'success' }), 0, 'counters start with the metrics');

  health.register(steeredCheck('late', { interval: 60_000, timeout: 2000 }).check);
  s = parseSamples(await m.text());
  t.equal(sample(s, 'probekit_check_runs_total', { check: 'late', result: 'failure' }) !== undefined, true, 'late: pre-created');
  await health.stop();
});

t.test('the health registry’s gates: a hold and the shutdown', async (t) => {
  const health = quietHealth(t, {
    checks: [steeredCheck('db').check],
    shutdown: { exit: false, delay: 0, signals: ['SIGUSR2'] },
  });
  const m = healthMetrics(health);
  t.teardown(() => m.close());
  const runs = recordRuns(t, health);
  health.start();
  await waitFor(() => runs.length >= 1, 'a run');
  let s = parseSamples(await m.text());
  t.equal(sample(s, 'probekit_probe_up', { probe: 'ready' }), 1);
  const release = health.hold('warming');
  s = parseSamples(await m.text());
  t.equal(sample(s, 'probekit_probe_up', { probe: 'ready' }), 0, 'held: ready 0');
  release();
  await health.shutdown();
  s = parseSamples(await m.text());
  t.equal(sample(s, 'probekit_shutdown_in_progress'), 1);
  t.equal(sample(s, 'probekit_probe_up', { probe: 'ready' }), 0, 'shutting down: ready 0');
  t.equal(sample(s, 'probekit_probe_up', { probe: 'live' }), 1, 'live is untouched');
});

t.test('`prefix` replaces probekit_', async (t) => {
  const health = quietHealth(t, { checks: [steeredCheck('db').check] });
  const mine = healthMetrics(health, { prefix: 'shop_' });
  const bare = healthMetrics(health, { prefix: '' });
  const names = (r: Registry<RegistryContentType>) =>
    r
      .getMetricsAsArray()
      .map((x) => x.name)
      .sort();
  t.same(names(mine.registry), NAMES.map((n) => n.replace('probekit_', 'shop_')).sort());
  t.same(names(bare.registry), NAMES.map((n) => n.replace('probekit_', '')).sort());
  t.notMatch(await mine.text(), /probekit_/);
  mine.close();
  bare.close();
});

t.test('bad arguments throw an InvalidOptionError naming what is wrong', async (t) => {
  const health = quietHealth(t);
  const bad: [string, () => unknown, RegExp][] = [
    ['no registry', () => healthMetrics(null as never), /Expected a health registry/],
    ['an object that is none', () => healthMetrics({} as never), /Expected a health registry/],
    ['options not an object', () => healthMetrics(health, 'x' as never), /Expected an options object/],
    ['an unknown key', () => healthMetrics(health, { prefx: 'a_' } as never), /Unknown option `prefx`/],
    ['a prefix without _', () => healthMetrics(health, { prefix: 'shop' }), /`prefix`.*got `"shop"`/],
    ['a prefix with -', () => healthMetrics(health, { prefix: 'my-shop_' }), /`prefix`/],
    ['a prefix with :', () => healthMetrics(health, { prefix: 'a:b_' }), /`prefix`/],
    ['a prefix that is no string', () => healthMetrics(health, { prefix: 42 as never }), /`prefix`.*got `42`/],
    [
      'a registry that is none',
      () => healthMetrics(health, { registry: {} as never }),
      /`registry` to be a prom-client Registry/,
    ],
  ];
  for (const [what, fn, message] of bad) {
    t.throws(fn, { name: 'InvalidOptionError', code: 'PROBEKIT_ERR_OPTION_INVALID', message }, what);
  }
});

t.test('twice on one registry: a coded error, nothing registered; close() frees the names', async (t) => {
  const health = quietHealth(t, { checks: [steeredCheck('db').check] });
  const registry = new Registry();
  const own = new Counter({ name: 'app_requests_total', help: 'the app’s own', registers: [registry] });
  own.inc();
  const first = healthMetrics(health, { registry });
  t.equal(first.registry, registry);
  const count = registry.getMetricsAsArray().length;
  let err: unknown;
  try {
    healthMetrics(health, { registry });
  } catch (e) {
    err = e;
  }
  t.ok(isProbekitError(err));
  t.match(err, {
    name: 'InvalidOptionError',
    code: 'PROBEKIT_ERR_OPTION_INVALID',
    message: /already has a metric named `probekit_check_up`.*close\(\) the first one/,
  });
  t.equal(registry.getMetricsAsArray().length, count, 'the refused call registered nothing');
  const other = healthMetrics(health, { registry, prefix: 'second_' });
  t.equal(registry.getMetricsAsArray().length, count + NAMES.length, 'another prefix fits on the same registry');
  other.close();

  const runListeners = health.listenerCount('run');
  first.close();
  first.close();
  t.equal(health.listenerCount('run'), runListeners - 1, 'close() stops listening to runs');
  t.same(
    registry.getMetricsAsArray().map((x) => x.name),
    ['app_requests_total'],
    'close() removed the series, not the app’s own',
  );
  t.match(await first.text(), /app_requests_total 1/, 'text() still serves the registry');
  const again = healthMetrics(health, { registry });
  t.match(await again.text(), /probekit_check_up\{check="db"\} 0/, 'after close() the names can be taken again');
  again.close();

  // A metric of the app's own with one of the names: refused before anything is registered.
  const clash = new Registry();
  new Gauge({ name: 'probekit_probe_up', help: 'taken', registers: [clash] });
  t.throws(() => healthMetrics(health, { registry: clash }), { message: /`probekit_probe_up`/ });
  t.equal(clash.getMetricsAsArray().length, 1);
});

t.test('an OpenMetrics registry: its content type, and close() still removes the counter', async (t) => {
  const health = quietHealth(t, { checks: [steeredCheck('db').check] });
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(openMetricsContentType);
  const m = healthMetrics(health, { registry });
  t.equal(m.contentType, openMetricsContentType);
  const text = await m.text();
  t.match(text, /# TYPE probekit_check_runs counter/);
  t.match(text, /probekit_check_runs_total\{check="db",result="success"\} 0/);
  t.match(text, /# EOF\n$/);
  m.close();
  t.same(registry.getMetricsAsArray(), [], 'every series removed (prom-client renames counters in OpenMetrics)');
});

t.test('a registry that refuses one of the metrics midway keeps none of them', async (t) => {
  const health = quietHealth(t, { checks: [steeredCheck('db').check] });
  const registry = new Registry();
  const registerMetric = registry.registerMetric.bind(registry);
  registry.registerMetric = (metric) => {
    if ((metric as unknown as { name: string }).name === 'probekit_check_runs_total') throw new Error('refused');
    registerMetric(metric);
  };
  const listeners = health.listenerCount('run');
  t.throws(() => healthMetrics(health, { registry }), { message: 'refused' });
  t.same(registry.getMetricsAsArray(), [], 'the two registered before it were removed');
  t.equal(health.listenerCount('run'), listeners, 'and nothing listens to runs');
});

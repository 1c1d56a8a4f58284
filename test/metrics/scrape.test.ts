// What a scrape does and does not do: no check runs because of it (200 scrapes over HTTP, 200 more at once), the
// global prom-client registry stays untouched, and the label set stays bounded by the registered names.
import { register } from 'prom-client';
import t from 'tap';
import { healthMetrics, metricsHandler } from '../../src/metrics/index.js';
import { DURATION_BUCKETS } from '../../src/metrics/series.js';
import { request } from '../helpers/http-client.js';
import { waitFor } from '../helpers/wait.js';
import { listen, parseSamples, quietHealth, recordRuns, sample, steeredCheck } from './fixtures.js';

t.test('200 scrapes run no check', async (t) => {
  // A long interval: after the first run of each check, no run is due for a minute.
  const a = steeredCheck('a', { interval: 60_000, timeout: 2000 });
  const b = steeredCheck('b', { interval: 60_000, timeout: 2000 });
  const health = quietHealth(t, { checks: [a.check, b.check] });
  const m = healthMetrics(health);
  t.teardown(() => m.close());
  const runs = recordRuns(t, health);
  const { base } = await listen(t, metricsHandler(m));
  health.start();
  await waitFor(() => runs.length === 2, 'the first run of each check');
  const before = { a: a.control.runs, b: b.control.runs, events: runs.length };

  const started = performance.now();
  for (let i = 0; i < 200; i++) {
    const r = await request(base, '/metrics');
    if (r.statusCode !== 200) t.fail(`scrape ${i}: ${r.statusCode}`);
  }
  const texts = await Promise.all(Array.from({ length: 200 }, () => m.text()));
  const ms = Math.round(performance.now() - started);
  t.equal(a.control.runs, before.a, `check a: ${a.control.runs} run(s) after 400 scrapes`);
  t.equal(b.control.runs, before.b, `check b: ${b.control.runs} run(s) after 400 scrapes`);
  t.equal(runs.length, before.events, 'no run event either');
  t.equal(a.control.runs + b.control.runs, 2, 'one run per check in all');
  t.comment(`400 scrapes (200 over HTTP, 200 concurrent text()) in ${ms} ms; check runs: ${a.control.runs + b.control.runs}`);
  const s = parseSamples(texts.at(-1)!);
  t.equal(sample(s, 'probekit_check_runs_total', { check: 'a', result: 'success' }), 1, 'the counter saw the one run');
  t.equal(sample(s, 'probekit_check_up', { check: 'b' }), 1);
  t.equal(new Set(texts).size, 1, 'concurrent scrapes of an unchanged state read the same');
});

t.test('the global registry is never touched', async (t) => {
  const before = register.getMetricsAsArray().map((x) => x.name);
  const text = await register.metrics();
  const health = quietHealth(t, { checks: [steeredCheck('db').check] });
  const runs = recordRuns(t, health);
  const all = [healthMetrics(health), healthMetrics(health), healthMetrics(health, { prefix: 'x_' })];
  health.start();
  await waitFor(() => runs.length >= 2, 'two runs');
  for (const m of all) await m.text();
  for (const m of all) m.close();
  t.same(
    register.getMetricsAsArray().map((x) => x.name),
    before,
  );
  t.equal(await register.metrics(), text);
  t.notMatch(await register.metrics(), /probekit_/);

  // Only when asked: passing it registers there, a second call throws the coded error, close() leaves it as it was.
  const asked = healthMetrics(health, { registry: register });
  t.match(await register.metrics(), /probekit_check_up\{check="db"\} 1/);
  t.throws(() => healthMetrics(health, { registry: register }), { code: 'PROBEKIT_ERR_OPTION_INVALID' });
  asked.close();
  t.equal(await register.metrics(), text, 'after close() the global registry reads as before');
});

t.test('labels: only registered check names, and the fixed value sets', async (t) => {
  const names = ['db', 'cache', 'queue'];
  const checks = names.map((n) => steeredCheck(n, { interval: 50, timeout: 20 }));
  checks[1]!.control.ok = false;
  const health = quietHealth(t, { checks: checks.map((c) => c.check) });
  const m = healthMetrics(health);
  t.teardown(() => m.close());
  // Run events that name no registered check, or no known result (emitted by hand), must not become series.
  health.emit('run', { name: 'intruder', result: 'success', durationMs: 1, at: Date.now(), status: 'pass' });
  health.emit('run', { name: 'db', result: 'bogus', durationMs: 1, at: Date.now(), status: 'pass' });
  const runs = recordRuns(t, health);
  health.start();
  const counts: number[] = [];
  for (let i = 0; i < 20; i++) {
    await waitFor(() => runs.length >= (i + 1) * 3, 'more runs');
    counts.push(parseSamples(await m.text()).length);
  }
  const s = parseSamples(await m.text());
  const values = (label: string) => [...new Set(s.filter((x) => label in x.labels).map((x) => x.labels[label]!))].sort();
  t.same(values('check'), [...names].sort(), 'check: the registered names only');
  t.same(values('state'), ['fail', 'pass', 'unknown']);
  t.same(values('result'), ['failure', 'pending', 'success', 'timeout']);
  t.same(values('probe'), ['live', 'ready', 'startup']);
  t.same(values('le'), [...DURATION_BUCKETS.map(String), '+Inf'].sort());
  for (const x of s) {
    t.ok(
      Object.keys(x.labels).every((k) => ['check', 'state', 'result', 'probe', 'le'].includes(k)),
      `${x.name}: known labels`,
    );
  }
  // Per check: up 1 + status 3 + runs 4 + histogram 16 (14 buckets, sum, count) + failures 1, + last success for the
  // two that pass; then 3 probes and the shutdown gauge.
  const expected = names.length * (1 + 3 + 4 + 16 + 1) + 2 + 3 + 1;
  t.equal(s.length, expected, `${expected} series`);
  t.same([...new Set(counts)], [expected], 'the same count on every one of 20 scrapes while runs go on');
  t.equal(
    sample(s, 'probekit_check_runs_total', { check: 'db', result: 'success' }),
    sample(s, 'probekit_check_duration_seconds_count', { check: 'db' }),
  );
});

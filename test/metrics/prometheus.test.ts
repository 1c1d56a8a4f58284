// Against the real thing: promtool lints the exposition text (every state and result present), and a real Prometheus
// scraping every second sees probekit_check_up go 1 -> 0 -> 1 while a TCP dependency the test owns stops and starts.
import { createServer, type Server } from 'node:net';
import t from 'tap';
import { tcpCheck } from '../../plugins/tcp.js';
import { healthMetrics, metricsHandler } from '../../src/metrics/index.js';
import { waitFor } from '../helpers/wait.js';
import { listen, quietHealth, recordRuns, steeredCheck } from './fixtures.js';
import { prometheusTools, promtoolCheckMetrics, startPrometheus } from './prometheus.js';

const tools = await prometheusTools();
if ('skip' in tools) {
  t.skip(tools.skip, async () => {});
} else {
  t.test('promtool check metrics: exit 0 and no lint warning, with every state and result in the text', async (t) => {
    const ok = steeredCheck('ok');
    const bad = steeredCheck('bad', { critical: false });
    bad.control.ok = false;
    const slow = { name: 'slow', interval: 100, timeout: 40, run: () => new Promise<void>((r) => setTimeout(r, 250)) };
    // Its first run is still going when the text is taken: state unknown.
    const later = { name: 'later', interval: 60_000, timeout: 5000, run: () => new Promise<void>((r) => setTimeout(r, 4000)) };
    const health = quietHealth(t, { checks: [ok.check, bad.check, slow, later] });
    const m = healthMetrics(health);
    t.teardown(() => m.close());
    const runs = recordRuns(t, health);
    health.start();
    await waitFor(
      () => runs.some((r) => r.result === 'pending') && runs.some((r) => r.result === 'failure'),
      'runs of every result',
    );
    const text = await m.text();
    t.match(text, /probekit_check_status\{check="later",state="unknown"\} 1/);
    t.match(text, /probekit_check_runs_total\{check="slow",result="pending"\} [1-9]/);
    const lint = await promtoolCheckMetrics(tools.promtool, text);
    t.equal(lint.code, 0, 'exit 0');
    t.equal(lint.output, '', 'no output: no lint warning');
    t.comment(`promtool check metrics: exit ${lint.code}, output ${JSON.stringify(lint.output)} (${text.length} bytes checked)`);
    // The lint is live: the same tool complains about a counter named against the rules.
    const control = await promtoolCheckMetrics(tools.promtool, '# HELP bad_runs runs\n# TYPE bad_runs counter\nbad_runs 1\n');
    t.not(control.output, '', `control: promtool does flag a counter without _total (${control.output.trim()})`);
    await health.stop();
  });

  t.test('a real Prometheus sees probekit_check_up go 1 -> 0 -> 1 as the dependency stops and starts', async (t) => {
    // The dependency: a TCP server the test closes and opens again on the same port.
    const dep: Server = createServer((socket) => socket.destroy());
    const open = (port = 0) => new Promise<void>((resolve) => dep.listen(port, '127.0.0.1', resolve));
    await open();
    const depPort = (dep.address() as { port: number }).port;
    t.teardown(() => new Promise((resolve) => dep.close(resolve)));
    const check = tcpCheck({ name: 'dep', host: '127.0.0.1', port: depPort, interval: 250, timeout: 200 });
    // A check with a long interval: it runs once, however often Prometheus scrapes.
    const idle = steeredCheck('idle', { interval: 60_000, timeout: 2000 });
    const health = quietHealth(t, { checks: [check, idle.check] });
    const m = healthMetrics(health);
    t.teardown(() => m.close());
    const runs = recordRuns(t, health);
    const handle = metricsHandler(m);
    const app = await listen(t, (req, res) => {
      if (req.url === '/metrics') return handle(req, res);
      res.writeHead(404).end();
    });
    health.start();
    const prom = await startPrometheus(t, tools.prometheus, `127.0.0.1:${app.port}`);

    const up = async () => (await prom.query('probekit_check_up{check="dep"}'))[0]?.value;
    const seen: number[] = [];
    const until = async (want: number, what: string, within: number) => {
      const start = performance.now();
      for (;;) {
        const v = await up();
        if (v !== undefined && seen.at(-1) !== v) seen.push(v);
        if (v === want) return Math.round(performance.now() - start);
        if (performance.now() - start > within) {
          throw new Error(`${what}: not within ${within} ms (last ${String(v)}; log: ${prom.log().slice(-400)})`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    const first = await until(1, 'dep up in Prometheus', 30_000);
    await new Promise<void>((resolve) => dep.close(() => resolve()));
    const down = await until(0, 'dep down in Prometheus', 15_000);
    await open(depPort);
    const back = await until(1, 'dep up again in Prometheus', 15_000);
    t.same(seen.slice(seen.indexOf(1)), [1, 0, 1], 'the instant queries saw 1, then 0, then 1');
    t.comment(`Prometheus: first 1 after ${first} ms; 0 ${down} ms after the dependency closed; 1 ${back} ms after it reopened`);

    // What Prometheus stored: the raw scraped samples of the series, from the first 1 on (it has run for less than
    // the 5 minutes of the window, so the window holds all it scraped).
    const window = '5m';
    const [series] = await prom.samples(`probekit_check_up{check="dep"}[${window}]`);
    const values = (series?.values ?? []).map(([, v]) => v);
    const collapsed = values.filter((v, i) => i === 0 || v !== values[i - 1]);
    t.same(collapsed.slice(collapsed.indexOf(1)), [1, 0, 1], `stored samples: ${values.join(' ')}`);

    const failures = await prom.query('probekit_check_runs_total{check="dep",result="failure"}');
    t.ok((failures[0]?.value ?? 0) >= 1, `runs_total{result="failure"}: ${failures[0]?.value}`);
    const readyMin = await prom.query(`min_over_time(probekit_probe_up{probe="ready"}[${window}])`);
    t.equal(readyMin[0]?.value, 0, 'probe_up{probe="ready"} went to 0 meanwhile');
    const scrapeOk = await prom.query(`min_over_time(up{job="probekit"}[${window}])`);
    t.equal(scrapeOk[0]?.value, 1, 'every scrape succeeded');
    const scrapes = (await prom.query(`count_over_time(up{job="probekit"}[${window}])`))[0]?.value ?? 0;
    t.ok(scrapes >= 3, `Prometheus scraped ${scrapes} times`);
    t.equal(idle.control.runs, 1, `the idle check ran once while Prometheus scraped ${scrapes} times`);
    t.comment(
      `scrapes: ${scrapes}; runs of the idle check: ${idle.control.runs}; of dep (every 250 ms): ${runs.filter((r) => r.name === 'dep').length}`,
    );
    const labels = (await prom.query('{__name__=~"probekit_.+"}')).map((s) => s.metric.check).filter((c) => c !== undefined);
    t.same([...new Set(labels)].sort(), ['dep', 'idle'], 'Prometheus holds series of the registered checks only');
    await health.stop();
  });
}

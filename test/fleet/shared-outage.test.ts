// Several registries in one process, each on its own port, peers given by a function: a failure the peers see too
// keeps /ready at 200 warn; a failure of one instance alone fails it; nothing is asked while every check passes.
import t from 'tap';
import { healthMetrics } from '../../src/metrics/index.js';
import { client, serve } from '../grpc/harness.js';
import { waitFor } from '../helpers/wait.js';
import { get, INTERVAL, type Instance, startInstance } from './harness.js';

async function fleetOf(t: Parameters<typeof startInstance>[0], n: number): Promise<Instance[]> {
  const all: Instance[] = [];
  const peers = () => all.map((i) => `${i.host}:${i.port}`);
  for (let k = 0; k < n; k++) all.push(await startInstance(t, { peers, timeout: 500 }));
  return all;
}

/** Polls /ready of every instance every ~10 ms until each satisfies `done`, returning every status code seen. */
async function poll(all: Instance[], done: (r: { status: number; body: string }) => boolean, what: string, ms: number) {
  const codes = new Set<number>();
  const deadline = Date.now() + ms;
  for (;;) {
    const rs = await Promise.all(all.map((i) => get(i.url('/ready'))));
    for (const r of rs) codes.add(r.status);
    if (rs.every(done)) return { codes, last: rs };
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${ms} ms (last: ${rs.map((r) => `${r.status} ${r.body}`).join(' | ')})`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

t.test('a failure every peer sees too: /ready stays 200 warn with the reason; /ready/db tells the truth', async (t) => {
  const all = await fleetOf(t, 3);
  const [a] = all as [Instance];
  const metrics = healthMetrics(a.health);
  t.teardown(() => metrics.close());
  const grpcServed = await serve(t, a.health);
  const grpcClient = client(t, grpcServed.address);
  await poll(all, (r) => r.status === 200 && JSON.parse(r.body).status === 'pass', 'all pass', 5000);
  // Ten intervals of passing checks: no peer is asked anything.
  await new Promise((r) => setTimeout(r, INTERVAL * 10));
  t.same(
    all.map((i) => i.asked),
    [0, 0, 0],
    'nothing is sent to peers while every check passes',
  );

  const stream = grpcClient.watch('');
  t.teardown(() => stream.cancel());
  for (const i of all) i.down = true;
  const during = await poll(all, (r) => r.status === 200 && JSON.parse(r.body).status === 'warn', 'all warn', INTERVAL * 10);
  t.same([...during.codes], [200], 'no instance answered 503 on the way (the peers were asked before the check failed)');
  for (const r of during.last) {
    const body = JSON.parse(r.body);
    t.equal(body.reason, 'db failing on 2 of 2 peers: shared outage');
    t.equal(body.checks.db.status, 'fail', "the check's own state is in the body");
  }
  const own = await get(a.url('/ready/db'));
  t.equal(own.status, 503, '/ready/db reports the check itself: 503');
  t.equal(JSON.parse(own.body).status, 'fail');
  const text = await get(a.url('/ready?verbose'));
  t.match(text.body, /\[!\]db warn \(shared outage\)/, 'the text format says why it is a warning');
  const hj = await get(a.url('/ready'), { accept: 'application/health+json' });
  t.match(JSON.parse(hj.body), { status: 'warn', output: 'db failing on 2 of 2 peers: shared outage' });
  t.equal(a.health.evaluate('ready'), 'warn', 'evaluate says warn');
  t.same(await grpcClient.check(''), { status: 'SERVING' }, "gRPC '' stays SERVING");
  t.same(await grpcClient.check('readiness'), { status: 'SERVING' }, 'gRPC readiness stays SERVING');
  t.notOk(
    stream.statuses.includes('NOT_SERVING'),
    `the gRPC Watch stream never said NOT_SERVING (${stream.statuses.join(', ')})`,
  );
  t.same(a.health.sharedStatus(), [{ check: 'db', failing: 2, answered: 2, shared: true }]);
  t.match(a.events, [{ check: 'db', failing: 2, answered: 2, shared: true }], 'the `fleet` event');
  t.match(await metrics.text(), /probekit_check_shared_outage\{check="db"\} 1/, 'the metric says so');
  const logged = a.logger.entries.filter((e) => e.msg?.includes('shared outage: readiness stays up'));
  t.equal(logged.length, 1, 'the transition is logged once');

  // Holds and a non-shared failing check are never overridden.
  const release = a.health.hold('warming up');
  t.equal((await get(a.url('/ready'))).status, 503, 'a hold still fails readiness');
  release();
  a.health.register({ name: 'local', interval: INTERVAL, timeout: 100, run: async () => Promise.reject(new Error('no')) });
  await waitFor(() => a.health.evaluate('ready') === 'fail', 'a non-shared failing check fails readiness', 3000);
  t.equal((await get(a.url('/ready'))).status, 503, 'a failing non-shared check is not overridden');
  for (const i of all) i.down = false;
  await poll(all.slice(1), (r) => r.status === 200 && JSON.parse(r.body).status === 'pass', 'the others pass again', 5000);
  await waitFor(() => a.events.at(-1)?.shared === false, 'the outage-over event', 3000);
  t.match(await metrics.text(), /probekit_check_shared_outage\{check="db"\} 0/);
  t.equal(a.health.evaluate('ready', ['db']), 'pass', 'db passes again');
});

t.test('a failure of one instance alone: it answers 503, the others pass, it keeps asking at most once per run', async (t) => {
  const all = await fleetOf(t, 3);
  const [a, b, c] = all as [Instance, Instance, Instance];
  await poll(all, (r) => r.status === 200, 'all pass', 5000);
  a.down = true;
  const from = Date.now();
  await waitFor(() => a.health.evaluate('ready') === 'fail', 'a fails', INTERVAL * 10);
  const r = await get(a.url('/ready'));
  t.equal(r.status, 503, 'this instance is out');
  t.notOk(JSON.parse(r.body).reason, 'no shared-outage reason');
  t.equal((await get(b.url('/ready'))).status, 200);
  t.equal((await get(c.url('/ready'))).status, 200);
  t.same(a.health.sharedStatus(), [{ check: 'db', failing: 0, answered: 2, shared: false }]);
  await new Promise((r) => setTimeout(r, INTERVAL * 5));
  const elapsed = Date.now() - from;
  const runs = Math.ceil(elapsed / INTERVAL) + 2;
  t.ok(b.asked >= 3 && b.asked <= runs, `peer b was asked once per failed run at most (${b.asked} for about ${runs - 2} runs)`);
  t.ok(c.asked <= runs, `peer c too (${c.asked})`);
  t.equal(a.asked, 0, 'the peers, passing, ask nothing');
  t.equal(a.events.length, 0, 'never a shared outage: no `fleet` event');
});

t.test('a shared check needs the `fleet` option to be kept in; without it, it fails like any check', async (t) => {
  const { createHealth } = await import('../../src/health.js');
  const { recordingLogger } = await import('../helpers/logger.js');
  const logger = recordingLogger();
  const health = createHealth({ logger, shutdown: false });
  health.register({ name: 'db', shared: true, run: async () => {} });
  t.match(logger.entries, [{ level: 'warn', msg: /db is shared, but no `fleet` option is set/ }]);
  t.equal(health.hasFleet, false);
  t.same(health.sharedStatus(), []);
  await health.stop();
});

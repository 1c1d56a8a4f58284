// The real grpc-health-probe (v0.4.62, built from source) against probekit's health service: exit 0 while SERVING,
// 4 while NOT_SERVING (a failing check, a hold, the shutdown), 3 for an unknown -service (NOT_FOUND), 2 when nothing
// listens; -service for each built-in and mapped name.
import t from 'tap';
import { waitFor } from '../helpers/wait.js';
import { freePort } from '../shutdown/proc.js';
import { flag, registry, serve } from './harness.js';
import { probeBinary, runProbe } from './probe-binary.js';

const bin = await probeBinary();
if ('skip' in bin) {
  t.skip(bin.skip, async () => {});
} else {
  const probe = (addr: string, service?: string) =>
    runProbe(bin.path, addr, service === undefined ? [] : [`-service=${service}`]);

  t.test('exit codes across a failing check, a hold, an unknown name and the shutdown', async (t) => {
    const db = flag('db');
    const kafka = flag('kafka');
    const delay = 3000;
    const health = registry(t, [db.check, kafka.check], {
      shutdown: { delay, timeout: 20_000, exit: false, signals: ['SIGUSR2'] },
    });
    const s = await serve(t, health, { services: { 'shop.Orders': ['db'], 'shop.Events': ['kafka'], 'shop.Alive': 'live' } });
    const mapped = ['shop.Orders', 'shop.Events', 'shop.Alive'];
    const every = ['', 'readiness', 'liveness', 'startup', ...mapped];

    const early = await probe(s.address);
    t.equal(early.code, 4, `before start: exit 4 (${early.output})`);
    t.match(early.output, /NOT_SERVING/);
    health.start();
    await waitFor(() => s.grpc.status('') === 'SERVING', 'ready');

    const first = await probe(s.address);
    t.equal(first.code, 0, `SERVING: exit 0 (${first.output})`);
    t.match(first.output, /status: SERVING/);
    for (const name of every) t.equal((await probe(s.address, name)).code, 0, `-service=${JSON.stringify(name)}: 0`);

    const unknown = await probe(s.address, 'shop.Nobody');
    t.equal(unknown.code, 3, `an unknown -service: exit 3 (${unknown.output})`);
    t.match(unknown.output, /NotFound/);

    kafka.control.ok = false;
    await waitFor(() => s.grpc.status('shop.Events') === 'NOT_SERVING', 'kafka to fail');
    t.equal((await probe(s.address, 'shop.Events')).code, 4, 'a failing check: its service exits 4');
    t.equal((await probe(s.address)).code, 4, 'and so does the whole server');
    t.equal((await probe(s.address, 'shop.Orders')).code, 0, 'a service of other checks: 0');
    t.equal((await probe(s.address, 'liveness')).code, 0, 'liveness: 0');
    kafka.control.ok = true;
    await waitFor(() => s.grpc.status('') === 'SERVING', 'kafka to recover');
    t.equal((await probe(s.address)).code, 0, 'recovered: 0');

    const release = health.hold('migrating');
    for (const name of ['', 'readiness', 'shop.Orders', 'shop.Events']) {
      t.equal((await probe(s.address, name)).code, 4, `a hold: ${JSON.stringify(name)} exits 4`);
    }
    t.equal((await probe(s.address, 'shop.Alive')).code, 0, 'a hold: a service mapped to live exits 0');
    release();
    t.equal((await probe(s.address)).code, 0, 'released: 0');

    const shutdown = health.shutdown('test');
    for (const name of ['', 'readiness', 'startup', 'shop.Orders', 'shop.Events']) {
      t.equal((await probe(s.address, name)).code, 4, `during the shutdown delay: ${JSON.stringify(name)} exits 4`);
    }
    t.equal((await probe(s.address, 'liveness')).code, 0, 'during the shutdown delay: liveness exits 0');
    t.equal((await probe(s.address, 'shop.Alive')).code, 0, 'and so does a service mapped to live');
    t.match(await shutdown, { code: 0, timedOut: false });
    const after = await probe(s.address);
    t.equal(after.code, 2, `after the shutdown, nothing listens: exit 2 (${after.output})`);
  });

  t.test('nothing listening: exit 2', async (t) => {
    const port = await freePort();
    const run = await probe(`127.0.0.1:${port}`);
    t.equal(run.code, 2, run.output);
    t.match(run.output, /failed to connect/);
  });
}

// Behind a real Caddy (Debian's) with active health checks on /ready every second: a rolling restart of three
// instances under steady keep-alive load loses no request, and a shared outage keeps every backend in the rotation.
// The instances reach the real MariaDB through one relay the test owns; the outage closes it (the shared server itself
// is stopped in haproxy-shared-outage.test.ts), so no other user of that server is disturbed.
import t from 'tap';
import { exclusive } from '../helpers/exclusive.js';
import { waitFor } from '../helpers/wait.js';
import { skipReason } from '../services/services.js';
import { startCaddy } from './balancers.js';
import { commonPort, get, HOSTS, load, type Proc, readiness, relay, startFleetApp } from './instances.js';
import { startDnsmasq, tool } from './parts.js';

// The shared servers it uses are its alone while it runs: test/helpers/exclusive.ts.
await exclusive('mariadb');

const INTERVAL = 1000;
const [dnsmasq, caddy] = await Promise.all([tool('dnsmasq'), tool('caddy')]);
const reason = 'skip' in dnsmasq ? dnsmasq.skip : 'skip' in caddy ? caddy.skip : await skipReason(['mariadb']);
if (reason) t.plan(0, reason);

async function until(what: string, ms: number, pred: () => Promise<boolean>, explain?: () => Promise<string>): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred().catch(() => false))) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms${explain ? `; ${await explain()}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

if (!reason && 'path' in dnsmasq && 'path' in caddy) {
  t.test('rolling restart behind Caddy under load: no request lost; a shared outage keeps every backend in', async (t) => {
    const dns = await startDnsmasq(t, dnsmasq.path, { 'app.fleet.test': HOSTS });
    const port = await commonPort();
    // The delay covers Caddy's 1 s health interval (plus its check's time) before the listener closes.
    const db = await relay(t, 13306);
    const env = { DNS: dns.server, DB_PORT: String(db.port), INTERVAL: String(INTERVAL), SHUTDOWN_DELAY: '2500' };
    const procs: Proc[] = await Promise.all(HOSTS.map((h) => startFleetApp(h, port, env)));
    t.teardown(() => {
      for (const p of procs) p.kill();
    });
    const proxy = await startCaddy(
      t,
      caddy.path,
      HOSTS.map((h) => `${h}:${port}`),
    );
    await until('all pass', 20_000, async () => (await Promise.all(procs.map(readiness))).every((s) => s === 'pass'));

    const running = load(`${proxy.front}/`, 300);
    await until('every backend gets traffic', 10_000, async () => HOSTS.every((h) => (running.result.byHost[h] ?? 0) > 0));
    for (let k = 0; k < procs.length; k++) {
      const old = procs[k] as Proc;
      old.child.kill('SIGTERM');
      t.equal(await old.exited(15_000), 0, `${old.host}: exited 0 after its drain`);
      const fresh = await startFleetApp(old.host, port, env);
      procs[k] = fresh;
      await until(`${old.host}: pass again`, 20_000, async () => (await readiness(fresh)) === 'pass');
      // Caddy's next health check (1 s) takes it back in: wait until it serves traffic again.
      const before = running.result.byHost[old.host] ?? 0;
      await until(
        `${old.host}: back in Caddy's rotation`,
        10_000,
        async () => (running.result.byHost[old.host] ?? 0) > before + 20,
      );
    }
    const result = await running.stop();
    t.same(result.failed.slice(0, 5), [], `no failed or reset request (${result.failed.length} of ${result.sent})`);
    t.equal(result.ok, result.sent, `every request answered 200 (${result.sent}, by backend ${JSON.stringify(result.byHost)})`);

    // A shared outage: the database is gone for all; every instance turns warn and Caddy keeps sending each traffic.
    await db.cut();
    await until(
      'all warn',
      INTERVAL * 8,
      async () => (await Promise.all(procs.map(readiness))).every((s) => s === 'warn'),
      async () => {
        const bodies = await Promise.all(procs.map(async (p) => `${p.host}: ${(await get(p.url('/ready'))).body}`));
        const logs = procs.flatMap((p) =>
          p.lines.filter((l) => /fleet|peer|shared|check db/.test(String(l.msg))).map((l) => `${p.host} ${l.msg}`),
        );
        return `${bodies.join(' | ')}; logs: ${logs.slice(-12).join(' | ')}`;
      },
    );
    // Two of Caddy's health intervals with every instance at warn.
    await new Promise((r) => setTimeout(r, 2000));
    const during = load(`${proxy.front}/`, 100);
    await waitFor(() => during.result.sent >= 200, '200 requests during the outage', 10_000, 20);
    const outage = await during.stop();
    await db.restore();
    t.same(outage.failed.slice(0, 5), [], 'no failed request during the shared outage');
    t.same(Object.keys(outage.byHost).sort(), [...HOSTS], `every backend stayed in (${JSON.stringify(outage.byHost)})`);
    await until('all pass again', INTERVAL * 8, async () => (await Promise.all(procs.map(readiness))).every((s) => s === 'pass'));
    t.equal((await get(`${proxy.front}/`)).status, 200);
  });
}

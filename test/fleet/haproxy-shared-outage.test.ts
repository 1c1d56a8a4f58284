// Three instances of an app on 127.0.0.2-4 (one port), sharing the real MariaDB with a shared mysqlCheck, finding each
// other through a real dnsmasq, behind a real HAProxy checking /ready (inter 1s fall 1 rise 1):
// - while every check passes, no instance asks its peers anything;
// - MariaDB stops: every instance turns `warn` (200), HAProxy keeps all three UP and the app's route keeps answering;
//   MariaDB starts again: all return to `pass`;
// - one instance's own path to the database is cut: it alone answers 503 and HAProxy takes it out.
import t from 'tap';
import { exclusive } from '../helpers/exclusive.js';
import { waitFor } from '../helpers/wait.js';
import { haproxyBinary, serviceStatus, skipReason, startService, stopService } from '../services/services.js';
import { startHaproxy } from './balancers.js';
import { commonPort, get, HOSTS, type Proc, readiness, startFleetApp } from './instances.js';
import { startDnsmasq, tool } from './parts.js';

// The shared servers it uses are its alone while it runs: test/helpers/exclusive.ts.
await exclusive('mariadb');

const INTERVAL = 1000;
const dnsmasq = await tool('dnsmasq');
const reason = 'skip' in dnsmasq ? dnsmasq.skip : await skipReason(['mariadb', 'haproxy']);
if (reason) t.plan(0, reason);

/** Polls until every instance answers one of `words`. */
async function allSay(procs: readonly Proc[], words: readonly string[], what: string, ms: number): Promise<number> {
  const from = Date.now();
  let last: string[] = [];
  await waitFor(
    () => {
      void Promise.all(procs.map(readiness)).then((s) => {
        last = s;
      });
      return last.length === procs.length && last.every((s) => words.includes(s));
    },
    `${what} (last: ${last.join(', ')})`,
    ms,
    100,
  );
  return Date.now() - from;
}

if (!reason && 'path' in dnsmasq) {
  t.test('a shared outage keeps every instance in; a local one takes only that instance out', async (t) => {
    const dns = await startDnsmasq(t, dnsmasq.path, { 'app.fleet.test': HOSTS });
    const port = await commonPort();
    const env = { DNS: dns.server, DB_PORT: '13306', INTERVAL: String(INTERVAL) };
    const procs = await Promise.all(HOSTS.map((h) => startFleetApp(h, port, env)));
    t.teardown(() => {
      for (const p of procs) p.kill();
    });
    const [a, b, c] = procs as [Proc, Proc, Proc];
    const names = { a, b, c };
    const haproxy = await startHaproxy(
      t,
      await haproxyBinary(),
      Object.fromEntries(Object.entries(names).map(([n, p]) => [n, `${p.host}:${p.port}`])),
      'inter 1s fall 1 rise 1',
    );
    let states: Awaited<ReturnType<typeof haproxy.states>> = {};
    const upAll = async () => {
      // The stats socket appears once HAProxy is up.
      states = await haproxy.states().catch(() => ({}));
      return Object.keys(states).length === 3 && Object.values(states).every((s) => s.status === 'UP');
    };
    const deadline = Date.now() + 30_000;
    while (!(await upAll())) {
      if (Date.now() > deadline) throw new Error(`not all UP: ${JSON.stringify(states)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await allSay(procs, ['pass'], 'all pass', 20_000);

    // Three intervals with every check passing: nobody asks anybody.
    await new Promise((r) => setTimeout(r, INTERVAL * 3));
    const asked = await Promise.all(
      procs.map(async (p) => (JSON.parse((await get(p.url('/__asked'))).body) as { asked: number }).asked),
    );
    t.same(asked, [0, 0, 0], 'nothing is sent to peers while every check passes');

    // Watch HAProxy and the app's route through it for the whole outage.
    const chkdownBefore = Object.fromEntries(Object.entries(states).map(([n, s]) => [n, s.chkdown]));
    const seen: string[] = [];
    const routeFailures: string[] = [];
    let routeOk = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const s = await haproxy.states().catch(() => ({}) as Record<string, { status: string }>);
        for (const [n, v] of Object.entries(s)) if (v.status !== 'UP') seen.push(`${n} ${v.status}`);
        const r = await get(`${haproxy.front}/`);
        if (r.status === 200) routeOk++;
        else routeFailures.push(`${r.status} ${r.body.slice(0, 80)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    let restarted = false;
    t.teardown(async () => {
      if (!restarted) await startService('mariadb');
    });
    await stopService('mariadb');
    const stopped = Date.now();
    const tookWarn = await allSay(procs, ['warn'], 'all warn', INTERVAL * 8).catch(async (err: Error) => {
      // The server is shared: say so when something else started it again meanwhile.
      throw new Error(`${err.message}; MariaDB is ${await serviceStatus('mariadb')}`);
    });
    t.comment(
      `all three answered warn ${tookWarn} ms after MariaDB's stop returned (failureThreshold 3, interval ${INTERVAL} ms)`,
    );
    for (const p of procs) {
      const r = await get(p.url('/ready'));
      t.equal(r.status, 200, `${p.host}: /ready 200`);
      t.equal(
        JSON.parse(r.body).reason,
        'db failing on 2 of 2 peers: shared outage',
        `${p.host}: the reason names the check and the count`,
      );
      t.equal((await get(p.url('/ready/db'))).status, 503, `${p.host}: /ready/db reports its own state`);
    }
    // The outage goes on for a few more intervals.
    await new Promise((r) => setTimeout(r, INTERVAL * 3));
    restarted = true;
    await startService('mariadb');
    const tookPass = await allSay(procs, ['pass'], 'all pass again', INTERVAL * 8);
    watching = false;
    await watcher;
    t.comment(`outage ${Date.now() - stopped} ms; all pass again ${tookPass} ms after MariaDB answered`);
    t.same(seen, [], 'HAProxy kept all three UP through the outage');
    const chkdownAfter = Object.fromEntries(Object.entries(await haproxy.states()).map(([n, s]) => [n, s.chkdown]));
    t.same(chkdownAfter, chkdownBefore, 'no UP -> DOWN transition at all (chkdown unchanged)');
    t.same(routeFailures, [], `the app's route answered 200 throughout (${routeOk} requests)`);
    for (const p of procs) {
      t.ok(
        p.lines.some((l) => l.msg === 'probekit: db failing on 2 of 2 peers: shared outage: readiness stays up (warn)'),
        `${p.host}: the shared outage was logged`,
      );
    }

    // One instance loses its own path to the database: it alone goes.
    await get(a.url('/__cut'));
    await waitFor(
      () => {
        void haproxy.states().then((s) => {
          states = s;
        });
        return states.a?.status.startsWith('DOWN') === true;
      },
      'HAProxy takes a out',
      INTERVAL * 10,
      100,
    );
    t.equal((await get(a.url('/ready'))).status, 503, 'a answers 503');
    t.notOk(JSON.parse((await get(a.url('/ready'))).body).reason, 'no shared-outage reason: the peers pass');
    t.equal(await readiness(b), 'pass', 'b passes');
    t.equal(await readiness(c), 'pass', 'c passes');
    const now = await haproxy.states();
    t.equal(now.b?.status, 'UP', 'b stays UP');
    t.equal(now.c?.status, 'UP', 'c stays UP');
    const r = await get(`${haproxy.front}/`);
    t.equal(r.status, 200, 'the service still answers through the others');
  });
}

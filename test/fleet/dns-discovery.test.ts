// Peers found through a real DNS server (dnsmasq) answering a headless-Service-like name with the instances' loopback
// addresses: each instance leaves its own address out; a name that does not resolve, or a DNS server that never
// answers, fails closed (logged, within the timeout).
import { createSocket } from 'node:dgram';
import t from 'tap';
import { waitFor } from '../helpers/wait.js';
import { get, INTERVAL, type Instance, startInstance } from './harness.js';
import { commonPort, HOSTS } from './instances.js';
import { startDnsmasq, tool } from './parts.js';

const dnsmasq = await tool('dnsmasq');
if ('skip' in dnsmasq) t.plan(0, dnsmasq.skip);

if ('path' in dnsmasq) {
  t.test('the headless name lists every instance; each asks the two others, never itself', async (t) => {
    const dns = await startDnsmasq(t, dnsmasq.path, { 'app.fleet.test': HOSTS });
    const port = await commonPort();
    const fleet = { peers: 'app.fleet.test', dnsServers: [dns.server], timeout: 500 };
    const all: Instance[] = [];
    for (const host of HOSTS) all.push(await startInstance(t, fleet, host, port));
    await waitFor(() => all.every((i) => i.health.evaluate('ready') === 'pass'), 'all pass', 5000);
    for (const i of all) i.down = true;
    await waitFor(() => all.every((i) => i.health.evaluate('ready') === 'warn'), 'all warn', INTERVAL * 10 + 3000);
    for (const i of all) {
      const body = JSON.parse((await get(i.url('/ready'))).body);
      t.equal(body.reason, 'db failing on 2 of 2 peers: shared outage', `${i.host}: its own address left out`);
    }
    t.ok(
      all.every((i) => i.asked > 0),
      `every instance was asked by the others (${all.map((i) => i.asked).join(', ')})`,
    );
    all[0]!.down = false;
    await waitFor(() => all[0]!.health.evaluate('ready') === 'pass', 'a recovers', 3000);
    const asked = all.map((i) => i.asked);
    for (const i of all.slice(1)) i.down = false;
    await waitFor(() => all.every((i) => i.health.evaluate('ready') === 'pass'), 'all pass again', 3000);
    await new Promise((r) => setTimeout(r, INTERVAL * 5));
    const after = all.map((i) => i.asked);
    t.ok(
      after.every((n, k) => n - (asked[k] as number) <= 4),
      `the questions stop once every check passes (${asked.join(',')} -> ${after.join(',')})`,
    );
  });

  t.test('a name that does not resolve: fail closed, logged once', async (t) => {
    const dns = await startDnsmasq(t, dnsmasq.path, { 'app.fleet.test': HOSTS });
    const a = await startInstance(t, { peers: 'nobody.fleet.test', dnsServers: [dns.server], timeout: 500 });
    await waitFor(() => a.health.evaluate('ready') === 'pass', 'pass', 3000);
    a.down = true;
    await waitFor(() => a.health.evaluate('ready') === 'fail', 'fails', INTERVAL * 5 + 3000);
    t.equal((await get(a.url('/ready'))).status, 503, '503');
    const lines = a.logger.entries.filter((e) => /peers `nobody.fleet.test` did not resolve \(ENOTFOUND\)/.test(e.msg ?? ''));
    t.equal(lines.length, 1, `logged once: ${lines[0]?.msg}`);
  });

  t.test('a DNS server that never answers: fail closed within the timeout', async (t) => {
    const silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
    t.teardown(() => silent.close());
    const server = `127.0.0.1:${silent.address().port}`;
    const a = await startInstance(t, { peers: 'app.fleet.test', dnsServers: [server], timeout: 300 });
    await waitFor(() => a.health.evaluate('ready') === 'pass', 'pass', 3000);
    a.down = true;
    const from = Date.now();
    await waitFor(
      () => a.logger.entries.some((e) => /did not answer|ETIMEOUT|did not resolve/.test(e.msg ?? '')),
      'logged',
      5000,
    );
    t.ok(Date.now() - from < INTERVAL + 300 + 1500, `the round gave up within its timeout (${Date.now() - from} ms)`);
    await waitFor(() => a.health.evaluate('ready') === 'fail', 'fails', INTERVAL * 5 + 3000);
    t.equal((await get(a.url('/ready'))).status, 503);
  });
}

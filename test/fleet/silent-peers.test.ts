// Peers that give no usable answer (hang, garbage, a proxy's 503 page, an endless body, a closed port) or a `peers`
// function that throws or hangs: the instance fails closed, each round within the timeout, and no socket is left open.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import t from 'tap';
import { waitFor } from '../helpers/wait.js';
import { freePort } from '../shutdown/proc.js';
import { get, INTERVAL, startInstance } from './harness.js';

interface Fake {
  server: Server;
  address: string;
  open: Set<Socket>;
  hits: number;
}

async function fake(
  t: { teardown(fn: () => unknown): void },
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<Fake> {
  const f: Fake = { server: createServer(), address: '', open: new Set(), hits: 0 };
  f.server.on('request', (req, res) => {
    f.hits++;
    handler(req, res);
  });
  f.server.on('connection', (s) => {
    f.open.add(s);
    s.on('close', () => f.open.delete(s));
  });
  await new Promise<void>((r) => f.server.listen(0, '127.0.0.1', r));
  f.address = `127.0.0.1:${(f.server.address() as AddressInfo).port}`;
  t.teardown(() => {
    f.server.closeAllConnections();
    f.server.close();
  });
  return f;
}

t.test('peers that hang, answer garbage or a non-probekit 503: fail closed within the timeout', async (t) => {
  const hang = await fake(t, () => {});
  const garbage = await fake(t, (_q, s) => s.end('hello'));
  const html503 = await fake(t, (_q, s) => {
    s.writeHead(503, { 'content-type': 'text/html' });
    s.end('<html><body><h1>503 Service Unavailable</h1>No server is available to handle this request.</body></html>');
  });
  const json503 = await fake(t, (_q, s) => {
    s.writeHead(503, { 'content-type': 'application/json' });
    s.end('{"status":"fail","message":"upstream connect error"}');
  });
  const endless = await fake(t, (_q, s) => {
    s.writeHead(200, { 'content-type': 'application/json' });
    const chunk = `{"status":"fail","checks":{"db":${'['.repeat(1000)}`;
    const write = () => {
      while (s.write(chunk)) if (s.writableLength > 1 << 20) break;
    };
    write();
    s.on('drain', write);
  });
  const closed = `127.0.0.1:${await freePort()}`;
  const peers = [hang, garbage, html503, json503, endless].map((f) => f.address).concat(closed);
  const timeout = 300;
  const a = await startInstance(t, { peers: () => peers, timeout, sample: 10 });
  await waitFor(() => a.health.evaluate('ready') === 'pass', 'pass', 3000);
  a.down = true;
  const started = Date.now();
  await waitFor(
    () => a.logger.entries.some((e) => e.msg?.includes('no peer answered')),
    'the no-answer log',
    INTERVAL * 3 + timeout + 3000,
  );
  const took = Date.now() - started;
  // The peers are asked from the first failed run on; the check turns fail at its third.
  await waitFor(() => a.health.evaluate('ready') === 'fail', 'fail', INTERVAL * 3 + timeout + 3000);
  const r = await get(a.url('/ready'));
  t.equal(r.status, 503, 'fails closed: 503');
  t.same(a.health.sharedStatus(), [{ check: 'db', failing: 0, answered: 0, shared: false }]);
  t.ok(took < INTERVAL * 3 + timeout + 1500, `the first round ended within its timeout (${took} ms from the first failed run)`);
  const line = a.logger.entries.find((e) => e.msg?.includes('no peer answered'));
  const why = (line?.obj as { peers?: string[] } | undefined)?.peers?.join(' | ') ?? '';
  t.match(why, /no answer in time/, 'the hanging peer timed out');
  t.match(why, /text\/html/, "the proxy's page is no answer");
  t.match(why, /ECONNREFUSED/, 'the closed port is no answer');
  t.equal(a.logger.entries.filter((e) => e.msg?.includes('no peer answered')).length, 1, 'logged once');
  for (const f of [hang, garbage, html503, json503, endless]) t.ok(f.hits >= 1, 'each peer was asked');
  await waitFor(() => hang.open.size === 0 && endless.open.size === 0, 'the abandoned connections closed', timeout + 2000);
  t.pass('no connection to a hanging or endless peer outlives its round');
  t.equal(a.events.length, 0, 'no shared outage');
});

t.test('a `peers` function that throws, hangs or returns no list: fail closed, logged', async (t) => {
  const cases: [string, () => unknown, RegExp][] = [
    [
      'throws',
      () => {
        throw new Error('kube api down');
      },
      /the `peers` function failed/,
    ],
    ['hangs', () => new Promise(() => {}), /peer discovery did not answer within 200 ms/],
    ['returns no array', () => 'nope', /did not return an array/],
    ['returns no address', () => ['app.local', 42], /no peers found/],
  ];
  for (const [what, peers, message] of cases) {
    const a = await startInstance(t, { peers: peers as () => string[], timeout: 200 });
    await waitFor(() => a.health.evaluate('ready') === 'pass', 'pass', 3000);
    a.down = true;
    await waitFor(() => a.logger.entries.some((e) => message.test(e.msg ?? '')), `${what}: logged`, INTERVAL * 4 + 2000);
    await waitFor(() => a.health.evaluate('ready') === 'fail', `${what}: fails`, INTERVAL * 4 + 2000);
    t.equal((await get(a.url('/ready'))).status, 503, `${what}: 503`);
  }
});

// The drain in-process (exit: false): idle keep-alive sockets close at once, busy ones after their response,
// a response whose headers already went out still completes, and nothing new is accepted.
import { once } from 'node:events';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import t from 'tap';
import { createHealth } from '../../src/health.js';
import { recordingLogger } from '../helpers/logger.js';

function get(port: number, path: string, agent: Agent) {
  return new Promise<{ status: number; connection: string | undefined; body: string; socket: Socket }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => {
        body += c;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body, socket: req.socket as Socket }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('drain: idle closed at once, busy after the response, streaming completes, new connections refused', async (t) => {
  const health = createHealth({ shutdown: { exit: false }, logger: recordingLogger() });
  const server = createServer((req, res) => {
    if (req.url === '/slow') setTimeout(() => res.end('slow done'), 400);
    else if (req.url === '/stream') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('part 1;');
      setTimeout(() => res.end('part 2'), 400);
    } else res.end('ok');
  });
  health.attach(server);
  health.start();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  // Two agents, so that the idle socket is not reused for the busy requests.
  const agent = new Agent({ keepAlive: true, maxSockets: 10 });
  const idleAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => {
    agent.destroy();
    idleAgent.destroy();
  });

  const idle = await get(port, '/', idleAgent);
  t.equal(idle.status, 200);
  const idleClosed = once(idle.socket, 'close');
  const slow = get(port, '/slow', agent);
  const stream = get(port, '/stream', agent);
  await new Promise((r) => setTimeout(r, 100)); // both in flight; /stream has sent its headers

  const t0 = Date.now();
  const result = health.shutdown();
  await idleClosed;
  t.ok(Date.now() - t0 < 300, 'the idle keep-alive socket is closed at once');
  const [s, st] = await Promise.all([slow, stream]);
  t.equal(s.status, 200);
  t.equal(s.body, 'slow done');
  t.equal(s.connection, 'close', 'a busy response not yet started is sent with Connection: close');
  t.equal(st.body, 'part 1;part 2', 'a response whose headers were sent completes');
  const r = await result;
  t.same({ code: r.code, timedOut: r.timedOut }, { code: 0, timedOut: false });
  t.equal(server.listening, false);
  await t.rejects(get(port, '/', new Agent()), { code: 'ECONNREFUSED' }, 'no new connection is accepted');
  t.equal((await health.shutdown()).code, 0, 'a second call returns the same result');
});

t.test('drain: readiness fails at once, liveness stays, reason given', async (t) => {
  const health = createHealth({ shutdown: { exit: false, delay: 200 }, logger: recordingLogger() });
  health.start();
  t.equal(health.report('ready').statusCode, 200);
  const done = health.shutdown();
  t.equal(health.isShuttingDown, true);
  const ready = health.report('ready');
  t.equal(ready.statusCode, 503);
  t.match(JSON.parse(ready.body), { status: 'fail', reason: 'shutting down' });
  t.equal(health.report('live').statusCode, 200);
  t.match(health.report('ready', { format: 'text' }).body, /\[-\]shutdown failed: shutting down\nready check failed\n$/);
  await done;
});

t.test('shutdown options are validated', async (t) => {
  const bad: unknown[] = [
    { delay: -1 },
    { timeout: 0 },
    { delay: 5000, timeout: 5000 },
    { signals: 'SIGTERM' },
    { signals: ['TERM'] },
    { exit: 'yes' },
    { hookTimeout: 1.5 },
    { grace: 1 },
    'on',
  ];
  for (const shutdown of bad) {
    t.throws(() => createHealth({ shutdown: shutdown as never }), { name: 'InvalidOptionError' }, JSON.stringify(shutdown));
  }
  t.throws(() => createHealth({ shutdown: { exit: false } }).onShutdown('x' as never), { name: 'InvalidOptionError' });
});

// From the shutdown signal on, every HTTP/1.x answer of an attached server says `Connection: close` and its
// keep-alive socket closes after it: the answers in flight at the signal, the next answer on an idle keep-alive socket
// (which is not closed under its client before that), and the probe answers of all three adapters. Before the signal
// nothing is added to the request path. Drain targets are told at the signal, before the delay.
import { once } from 'node:events';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import t from 'tap';
import { createHealth } from '../../src/health.js';
import { ADAPTERS } from '../helpers/adapters.js';
import { recordingLogger } from '../helpers/logger.js';

interface Answer {
  status: number;
  connection: string | undefined;
  body: string;
  socket: Socket;
  reused: boolean;
}

function get(base: string, path: string, agent: Agent): Promise<Answer> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => {
        body += c;
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          connection: res.headers.connection,
          body,
          socket: req.socket as Socket,
          reused: req.reusedSocket,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** Resolves once `socket` is closed; rejects after `ms`. */
function closed(socket: Socket, ms = 5000): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

t.test('node:http: Connection: close from the signal on, idle keep-alive sockets kept until their next answer', async (t) => {
  const logger = recordingLogger();
  const health = createHealth({ shutdown: { exit: false, delay: 1500 }, logger });
  const server = createServer((req, res) => {
    if (req.url === '/slow') setTimeout(() => res.end('slow done'), 300);
    else res.end('ok');
  });
  health.attach(server);
  health.start();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const idleAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  const agent = new Agent({ keepAlive: true, maxSockets: 10 });
  t.teardown(() => {
    idleAgent.destroy();
    agent.destroy();
  });

  const before = await get(base, '/', idleAgent);
  t.equal(before.connection, 'keep-alive', 'before the signal, answers keep the connection');
  t.equal(server.listenerCount('request'), 1, 'before the signal, attach adds nothing to the request path');
  const inFlight = get(base, '/slow', agent);
  await new Promise((r) => setTimeout(r, 100));

  const result = health.shutdown();
  t.equal(server.listenerCount('request'), 2, 'at the signal, one request listener is added');
  const slow = await inFlight;
  t.same([slow.status, slow.body, slow.connection], [200, 'slow done', 'close'], 'the answer in flight says close');
  await closed(slow.socket);

  // The idle keep-alive socket stayed open through the signal: its next request is answered on it, with close.
  const next = await get(base, '/', idleAgent);
  t.equal(next.reused, true, 'the idle keep-alive socket was not closed under its client');
  t.equal(next.socket, before.socket);
  t.same([next.status, next.connection], [200, 'close'], 'its next answer says close');
  await closed(next.socket);
  const fresh = await get(base, '/', agent);
  t.same([fresh.status, fresh.connection, fresh.reused], [200, 'close', false], 'a new connection gets one answer, with close');
  await closed(fresh.socket);

  const r = await result;
  t.same({ code: r.code, timedOut: r.timedOut }, { code: 0, timedOut: false });
});

for (const [name, serve] of Object.entries(ADAPTERS)) {
  t.test(`${name}: the probe answers during the delay say Connection: close`, async (t) => {
    const health = createHealth({ shutdown: { exit: false, delay: 1500 }, logger: recordingLogger() });
    const base = await serve(t, health, {});
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    t.teardown(() => agent.destroy());
    const before = await get(base, '/ready', agent);
    t.same([before.status, before.connection], [200, 'keep-alive']);
    const result = health.shutdown();
    const ready = await get(base, '/ready', agent);
    t.same([ready.status, ready.connection, ready.reused], [503, 'close', true], '/ready: 503, Connection: close');
    await closed(ready.socket);
    const live = await get(base, '/live', agent);
    t.same([live.status, live.connection], [200, 'close'], '/live: 200, Connection: close');
    await closed(live.socket);
    t.equal((await result).code, 0);
  });
}

t.test('drain targets are told at the signal, before the delay; one that throws keeps no other from it', async (t) => {
  const logger = recordingLogger();
  const health = createHealth({ shutdown: { exit: false, delay: 1000 }, logger });
  const told: string[] = [];
  const target = (name: string, announce: () => void) => ({
    announce,
    drain: async () => {
      told.push(`${name} drain`);
    },
    destroy: () => {},
    openWork: () => ({ requests: [], connections: 0 }),
  });
  health.addDrainTarget(
    target('first', () => {
      throw new Error('announce blew up');
    }),
  );
  health.addDrainTarget(target('second', () => told.push('second announce')));
  health.addDrainTarget({ drain: async () => {}, destroy: () => {}, openWork: () => ({ requests: [], connections: 0 }) });
  const result = health.shutdown();
  t.same(told, ['second announce'], 'announced at once, before the delay');
  t.equal(health.isShuttingDown, true);
  t.ok(
    logger.entries.some((l) => l.level === 'error' && JSON.stringify(l).includes('announce blew up')),
    'the throwing announce is logged',
  );
  const r = await result;
  t.same(told, ['second announce', 'first drain', 'second drain'], 'both still drain');
  t.equal(r.code, 1, 'a failed step, announce included, makes the exit code 1');
});

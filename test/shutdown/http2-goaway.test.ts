// An attached node:http2 server: at the shutdown signal every session gets a GOAWAY (the client opens no new stream
// on it), the streams in flight finish, a session opened during the delay serves its stream and goes away too, and
// the drain ends once every session has closed. Works with the compatibility API (and `serveProbes`) and with the
// stream API alone.
import { once } from 'node:events';
import { type ClientHttp2Session, connect, createServer, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { createHealth } from '../../src/health.js';
import { recordingLogger } from '../helpers/logger.js';

interface Answer {
  status: number;
  body: string;
}

function get(session: ClientHttp2Session, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':path': path });
    let status = 0;
    let body = '';
    stream.on('response', (h) => {
      status = Number(h[':status']);
    });
    stream.setEncoding('utf8').on('data', (c: string) => {
      body += c;
    });
    stream.on('end', () => resolve({ status, body }));
    stream.on('error', reject);
    stream.end();
  });
}

async function listen(server: Http2Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A client session, with the GOAWAY frames it received. */
function open(base: string): { session: ClientHttp2Session; goaways: number[] } {
  const session = connect(base);
  const goaways: number[] = [];
  session.on('goaway', (code: number) => goaways.push(code));
  session.on('error', () => {});
  return { session, goaways };
}

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

t.test('compatibility API with serveProbes: GOAWAY at the signal, streams in flight finish', async (t) => {
  const health = createHealth({ shutdown: { exit: false, delay: 1000 }, logger: recordingLogger() });
  const server = createServer((req, res) => {
    if (req.url === '/slow') setTimeout(() => res.end('slow done'), 300);
    else res.end('app');
  });
  health.attach(server, { serveProbes: true });
  health.start();
  const base = await listen(server);
  const a = open(base);
  t.teardown(() => a.session.destroy());
  const ready = await get(a.session, '/ready');
  t.same([ready.status, JSON.parse(ready.body).status], [200, 'pass'], 'probes are served over HTTP/2');
  t.same(await get(a.session, '/'), { status: 200, body: 'app' });
  const slow = get(a.session, '/slow');
  await new Promise((r) => setTimeout(r, 50));

  const result = health.shutdown();
  await until('the client session gets a GOAWAY', () => a.goaways.length > 0);
  t.same(a.goaways, [0], 'GOAWAY with NO_ERROR');
  t.throws(() => a.session.request({ ':path': '/' }), { code: 'ERR_HTTP2_GOAWAY_SESSION' }, 'no new stream on it');
  t.same(await slow, { status: 200, body: 'slow done' }, 'the stream in flight finishes');

  // A session opened during the delay serves the stream it came for, then goes away too.
  const b = open(base);
  t.teardown(() => b.session.destroy());
  t.equal((await get(b.session, '/ready')).status, 503, '/ready fails during the delay');
  await until('the late session gets a GOAWAY', () => b.goaways.length > 0);

  const r = await result;
  t.same({ code: r.code, timedOut: r.timedOut }, { code: 0, timedOut: false }, 'the drain ends once the sessions closed');
  t.equal(server.listening, false);
});

t.test('stream API only: GOAWAY at the signal, the compatibility layer is not switched on', async (t) => {
  const health = createHealth({ shutdown: { exit: false, delay: 500 }, logger: recordingLogger() });
  const server = createServer();
  server.on('stream', (stream, headers) => {
    const reply = () => {
      stream.respond({ ':status': 200 });
      stream.end(`done ${String(headers[':path'])}`);
    };
    if (headers[':path'] === '/slow') setTimeout(reply, 300);
    else reply();
  });
  health.attach(server);
  health.start();
  const base = await listen(server);
  const a = open(base);
  t.teardown(() => a.session.destroy());
  t.same(await get(a.session, '/'), { status: 200, body: 'done /' });
  const slow = get(a.session, '/slow');
  await new Promise((r) => setTimeout(r, 50));
  const result = health.shutdown();
  await until('the client session gets a GOAWAY', () => a.goaways.length > 0);
  t.same(await slow, { status: 200, body: 'done /slow' }, 'the stream in flight finishes');
  t.equal(server.listenerCount('request'), 0, 'no request listener was added');
  const r = await result;
  t.same({ code: r.code, timedOut: r.timedOut }, { code: 0, timedOut: false });
});

t.test('an idle session opened during the delay is closed by the drain', async (t) => {
  const health = createHealth({ shutdown: { exit: false, delay: 300 }, logger: recordingLogger() });
  const server = createServer((_req, res) => res.end('ok'));
  health.attach(server);
  health.start();
  const base = await listen(server);
  const result = health.shutdown();
  const late = open(base);
  t.teardown(() => late.session.destroy());
  await once(late.session, 'connect');
  const r = await result;
  t.same({ code: r.code, timedOut: r.timedOut }, { code: 0, timedOut: false });
  await until('the idle session gets a GOAWAY', () => late.goaways.length > 0);
});

t.test('serveProbes on an HTTP/2 server with the stream API alone is refused, the server left as it was', async (t) => {
  const server = createServer();
  server.on('stream', (stream) => stream.respond({ ':status': 204 }, { endStream: true }));
  t.throws(() => createHealth({ shutdown: false, logger: recordingLogger() }).attach(server, { serveProbes: true }), {
    name: 'InvalidOptionError',
    message: /`serveProbes` on an HTTP\/2 server needs its compatibility API/,
  });
  t.equal(server.listenerCount('request'), 0);
  t.equal(server.listenerCount('session'), 0);
});

// `health.attach(server, { keepAliveTimeout })` sets the server's keep-alive timeout, with a headers timeout above it,
// and it takes effect on the wire; bad values (and HTTP/2 servers, which have no such timeout) are refused by name.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { createServer as createHttp2Server } from 'node:http2';
import { type AddressInfo, connect } from 'node:net';
import t from 'tap';
import { InvalidOptionError } from '../../src/core/errors.js';
import { createHealth } from '../../src/health.js';
import { recordingLogger } from '../helpers/logger.js';

const health = () => createHealth({ shutdown: false, logger: recordingLogger() });

t.test('sets keepAliveTimeout, and headersTimeout 1 s above it unless it is higher already', async (t) => {
  const server = createServer();
  t.equal(server.keepAliveTimeout, 5000, "Node's default");
  health().attach(server, { keepAliveTimeout: 65_000 });
  t.equal(server.keepAliveTimeout, 65_000);
  t.equal(server.headersTimeout, 66_000);
  const higher = createServer({ headersTimeout: 700_000, requestTimeout: 0 });
  health().attach(higher, { keepAliveTimeout: 620_000 });
  t.equal(higher.keepAliveTimeout, 620_000);
  t.equal(higher.headersTimeout, 700_000, 'a higher headers timeout is kept');
  const untouched = createServer();
  health().attach(untouched);
  t.same([untouched.keepAliveTimeout, untouched.headersTimeout], [5000, 60_000], 'without the option nothing changes');
});

t.test('the server closes an idle keep-alive connection after keepAliveTimeout, not after the 5 s default', async (t) => {
  const server = createServer((_req, res) => res.end('ok'));
  health().attach(server, { keepAliveTimeout: 1500 });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  // A raw socket: an http.Agent would close it itself, on the `Keep-Alive: timeout=` hint of the answer.
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  t.teardown(() => socket.destroy());
  socket.setEncoding('utf8');
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  const [answer] = (await once(socket, 'data')) as [string];
  t.match(answer, /^HTTP\/1\.1 200 OK\r\n[\s\S]*Keep-Alive: timeout=1\r\n/, 'answered, keep-alive with the new timeout');
  const t0 = Date.now();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('still open after 4.5 s')), 4500);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  const idle = Date.now() - t0;
  t.ok(idle >= 1000 && idle < 4500, `closed by the server after ${idle} ms idle`);
});

t.test('bad values are refused, naming the option; the server is left as it was', async (t) => {
  for (const bad of [0, -1, 1.5, Number.NaN, '65000', 2 ** 31, null]) {
    const server = createServer();
    t.throws(
      () => health().attach(server, { keepAliveTimeout: bad as number }),
      { name: 'InvalidOptionError', code: 'PROBEKIT_ERR_OPTION_INVALID', message: /`keepAliveTimeout`.*positive integer/ },
      String(bad),
    );
    t.equal(server.keepAliveTimeout, 5000);
  }
  t.throws(
    () => health().attach(createHttp2Server(), { keepAliveTimeout: 65_000 }),
    new InvalidOptionError(
      '`keepAliveTimeout` applies to node:http(s) servers; an HTTP/2 server has no keep-alive timeout (see `server.setTimeout()`)',
    ),
    'an HTTP/2 server',
  );
});

// A request that reached the server just before the drain but was not read yet (the event loop was busy) is an idle
// keep-alive connection to Node: the drain must let it be read and answered (with Connection: close), not reset it.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import t from 'tap';
import { ServerTracker } from '../../src/node-http/drain.js';

t.test('a request unread when the drain begins is answered, not reset', async (t) => {
  const server = createServer((_req, res) => res.end('ok'));
  const tracker = new ServerTracker(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  t.teardown(() => socket.destroy());
  socket.setEncoding('utf8');
  let received = '';
  socket.on('data', (d: string) => {
    received += d;
  });
  const errors: string[] = [];
  socket.on('error', (err: NodeJS.ErrnoException) => errors.push(err.code ?? String(err)));
  socket.write('GET /first HTTP/1.1\r\nHost: x\r\n\r\n');
  const end = Date.now() + 5000;
  while (!received.includes('\r\n\r\nok') && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  t.match(received, /^HTTP\/1\.1 200 OK\r\n[\s\S]*Connection: keep-alive/, 'the first answer keeps the connection');
  received = '';

  tracker.announce();
  // The next request goes out, and the drain starts in the same turn of the event loop, as when the delay's timer
  // comes due while the app is busy: the request sits unread in the kernel's buffer, its connection looks idle.
  const clientClosed = once(socket, 'close');
  socket.write('GET /second HTTP/1.1\r\nHost: x\r\n\r\n');
  await tracker.drain();
  await Promise.race([clientClosed, new Promise((r) => setTimeout(r, 5000).unref())]);
  t.same(errors, [], 'no reset');
  t.match(
    received,
    /^HTTP\/1\.1 200 OK\r\n[\s\S]*connection: close\r\n[\s\S]*\r\n\r\nok$/i,
    'answered 200, with Connection: close',
  );
});

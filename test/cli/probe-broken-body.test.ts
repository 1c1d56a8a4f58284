// `probekit probe` never calls a broken answer healthy: a 200 whose body stalls past --timeout, or whose connection
// breaks before the body ends, is a failed request (exit 1; detailed: 3), as the kubelet's prober and curl (28, 56)
// read it. A body cut by the CLI's own size limit is not a failure: the answer is in.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import t from 'tap';
import { ensureBuilt, runCli } from './cli.js';

ensureBuilt();

const DETAILED = ['--exit-codes', 'detailed'];

/** A loopback server answering with `handle`; its sockets are destroyed on teardown. */
async function server(
  t: { teardown(fn: () => unknown): void },
  handle: (res: ServerResponse, socket: Socket) => void,
): Promise<string> {
  const sockets = new Set<Socket>();
  const s = createServer((req, res) => handle(res, req.socket));
  s.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        s.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}/ready`;
}

const START = '{"status":"pass","checks":{';

const cases: {
  name: string;
  handle: (res: ServerResponse, socket: Socket) => void;
  err: RegExp;
}[] = [
  {
    name: 'a 200 whose body stalls (content-length)',
    handle: (res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write(START);
    },
    err: /^request timed out: http:\/\/127\.0\.0\.1:\d+\/ready: answered 200 but the body did not end within 500ms\n$/,
  },
  {
    name: 'a 200 whose body stalls (chunked)',
    handle: (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(START);
    },
    err: /^request timed out: .*: answered 200 but the body did not end within 500ms\n$/,
  },
  {
    name: 'a 200 whose connection is reset mid-body (content-length)',
    handle: (res, socket) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write(START, () => setTimeout(() => socket.resetAndDestroy(), 20));
    },
    err: /^request failed: .*: answered 200 but the connection broke before the body ended \(\w+\)\n$/,
  },
  {
    name: 'a 200 whose connection closes mid-body (chunked)',
    handle: (res, socket) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(START, () => setTimeout(() => socket.destroy(), 20));
    },
    err: /^request failed: .*: answered 200 but the connection broke before the body ended/,
  },
];

for (const c of cases) {
  t.test(`${c.name} is a failed request`, async (t) => {
    const url = await server(t, c.handle);
    for (const mode of ['simple', 'detailed'] as const) {
      const run = await runCli(['probe', url, '--timeout', '500ms', ...(mode === 'detailed' ? DETAILED : [])]);
      t.equal(run.code, mode === 'detailed' ? 3 : 1, `${mode}: exit ${mode === 'detailed' ? 3 : 1}`, { stdout: run.stdout });
      t.equal(run.stdout, '', 'nothing on stdout');
      t.match(run.stderr, c.err);
    }
  });
}

t.test('a body past the size limit is cut, not failed: the answer is in', async (t) => {
  const url = await server(t, (res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const chunk = Buffer.alloc(64 * 1024, 'x');
    // 4 MiB, more than the CLI keeps (1 MiB); written as fast as it is read.
    let left = 64;
    const pump = () => {
      while (left > 0) {
        left--;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    res.on('close', () => {
      left = 0;
    });
    pump();
  });
  const run = await runCli(['probe', url, '--timeout', '5s', ...DETAILED]);
  t.equal(run.code, 0, { stderr: run.stderr });
  t.match(run.stdout, /^healthy: .* answered 200 in/);
});

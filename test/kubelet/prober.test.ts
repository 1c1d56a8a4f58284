// The test client itself (prober.ts) against a plain node:http server that records what it receives: the request the
// kubelet sends, the status rules, the 10 KiB body limit, the redirect rules and the one deadline.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import t from 'tap';
import { kubeletHttpProbe, MAX_BODY_BYTES, passed } from './prober.js';

t.test('the test client follows the kubelet prober rules', async (t) => {
  const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
  const sockets = new Set<Socket>();
  const big = 'x'.repeat(64 * 1024);
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    const url = new URL(req.url ?? '/', 'http://x');
    const hop = Number(url.searchParams.get('hop') ?? 0);
    switch (url.pathname) {
      case '/ok':
        return res.writeHead(200).end('fine');
      case '/399':
        return res.writeHead(399).end();
      case '/400':
        return res.writeHead(400).end('secret body');
      case '/big':
        return res.writeHead(200).end(big);
      case '/elsewhere':
        return res.writeHead(302, { location: 'http://example.invalid/ok' }).end('moved');
      case '/same-host':
        // Another port of the same host is still the same hostname: followed.
        return res.writeHead(301, { location: `http://127.0.0.1:${port}/ok` }).end();
      case '/loop':
        return res.writeHead(302, { location: `/loop?hop=${hop + 1}` }).end();
      case '/no-body':
        // The headers, then nothing: the one deadline covers reading the body too.
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial');
        return;
      default:
        // Never answers: the deadline covers the wait for the headers.
        return;
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });

  const ok = await kubeletHttpProbe({ port, path: '/ok' });
  t.match(ok, { result: 'success', output: 'fine', statusCode: 200, requests: 1 });
  const h = seen.at(-1)?.headers ?? {};
  t.equal(h['user-agent'], 'kube-probe/1.37', 'User-Agent: kube-probe/<major>.<minor>');
  t.equal(h.accept, '*/*');
  t.equal(h.connection, 'close', 'no keep-alive');
  t.equal(h['accept-encoding'], undefined, 'no compression');
  t.equal(seen.length, 1, 'one request per probe');

  const custom = await kubeletHttpProbe({
    port,
    path: '/ok',
    httpHeaders: [
      { name: 'accept', value: '' },
      { name: 'X-Probe', value: 'ready' },
    ],
  });
  t.ok(passed(custom));
  t.equal(seen.at(-1)?.headers.accept, undefined, 'an empty httpHeaders value removes Accept');
  t.equal(seen.at(-1)?.headers['x-probe'], 'ready');

  t.match(await kubeletHttpProbe({ port, path: '/399' }), { result: 'warning', statusCode: 399 }, '399 < 400: a pass');
  const bad = await kubeletHttpProbe({ port, path: '/400' });
  t.match(bad, { result: 'failure', output: 'HTTP probe failed with statuscode: 400' }, 'the body is never the output');
  t.equal(passed(bad), false);

  const truncated = await kubeletHttpProbe({ port, path: '/big' });
  t.match(truncated, { result: 'success', truncated: true });
  t.equal(Buffer.byteLength(truncated.body), MAX_BODY_BYTES, 'at most 10 KiB read; no error');

  const away = await kubeletHttpProbe({ port, path: '/elsewhere' });
  t.match(away, { result: 'warning', statusCode: 302, requests: 1 }, 'a redirect to another host is not followed');
  t.ok(passed(away), 'and the kubelet counts that Warning as Success');
  t.match(await kubeletHttpProbe({ port, path: '/same-host' }), { result: 'success', requests: 2 }, 'same host: followed');
  const loop = await kubeletHttpProbe({ port, path: '/loop' });
  t.match(loop, { result: 'failure', output: /stopped after 10 redirects/, requests: 10 });

  for (const path of ['/hang', '/no-body']) {
    const slow = await kubeletHttpProbe({ port, path, timeoutSeconds: 1 });
    t.match(slow, { result: 'failure', output: /Client\.Timeout exceeded/ }, `${path}: the deadline`);
    t.ok(slow.elapsedMs >= 900 && slow.elapsedMs < 1900, `${path}: failed after ${Math.round(slow.elapsedMs)} ms, one deadline`);
  }
  server.close();
  for (const s of sockets) s.destroy();
  const refused = await kubeletHttpProbe({ port, path: '/ok' });
  t.match(refused, { result: 'failure', output: /ECONNREFUSED/ });
});

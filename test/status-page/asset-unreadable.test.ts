// A build that did not copy the status page's browser files: the script and stylesheet answer 500 naming why, the
// server stays up, and the page and the probes still answer.
import { createServer } from 'node:http';
import t from 'tap';
import { request } from '../helpers/http-client.js';

t.test('an unreadable browser file answers 500 and the server keeps serving', async (t) => {
  const page = await import('../../src/status-page/page.js');
  const { Endpoint } = await t.mockImport<typeof import('../../src/http/endpoint.js')>('../../src/http/endpoint.js', {
    '../../src/status-page/page.ts': {
      ...page,
      readStatusAssets: () => {
        throw new Error("ENOENT: no such file or directory, open 'browser/page.js'");
      },
    },
  });
  const { createHealth } = await import('../../src/health.js');
  const { normalizeHttpOptions } = await import('../../src/http/contract.js');
  const health = createHealth({ shutdown: false, checks: [{ name: 'db', run: async () => {} }] });
  const endpoint = new Endpoint(health, normalizeHttpOptions({ statusPage: { path: '/health' } }));
  const js = endpoint.page('js', false, {}, undefined);
  t.equal(js?.statusCode, 500, 'the script answers 500');
  t.match(JSON.parse(js?.body ?? '{}'), { status: 'error', message: /status page asset unreadable: ENOENT/ });
  t.equal(endpoint.page('css', false, {}, undefined)?.statusCode, 500, 'so does the stylesheet');
  t.equal(endpoint.page('page', false, {}, undefined)?.statusCode, 200, 'the page itself still answers');
  await health.stop();
});

t.test('through attach(): the server answers the asset with 500 and stays up', async (t) => {
  const page = await import('../../src/status-page/page.js');
  const { attachServer } = await t.mockImport<typeof import('../../src/node-http/attach.js')>('../../src/node-http/attach.js', {
    '../../src/status-page/page.ts': {
      ...page,
      readStatusAssets: () => {
        throw new Error('EACCES');
      },
    },
  });
  const { createHealth } = await import('../../src/health.js');
  const health = createHealth({ shutdown: false, checks: [] });
  const server = createServer((_req, res) => res.end('app'));
  attachServer(health, server, { serveProbes: true, statusPage: { path: '/health' } });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  t.equal((await request(base, '/health/status.js')).statusCode, 500);
  t.equal((await request(base, '/live')).statusCode, 200, 'the probes still answer');
  await health.stop();
});

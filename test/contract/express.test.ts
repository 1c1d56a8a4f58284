// The same contract table against the Express router, on Express 5 and Express 4, through a real listener.
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import express5 from 'express';
import express4 from 'express4';
import t from 'tap';
import { probekitExpress } from '../../src/express/index.js';
import { createHealth } from '../../src/health.js';
import { request } from '../helpers/http-client.js';
import { listenAdapter } from './listen.js';
import { type AdapterFactory, runContract } from './table.js';

function viaExpress(make: () => { use(...args: unknown[]): unknown; get(...args: unknown[]): unknown }): AdapterFactory {
  return async (healthOptions, httpOptions) => {
    const health = createHealth({ ...healthOptions, shutdown: false });
    const app = make();
    app.use(probekitExpress(health, httpOptions));
    // An app route after the router: the router must hand on what is not a probe.
    app.get('/app', (_req: unknown, res: { json(v: unknown): void }) => res.json({ app: true }));
    const server = createServer(app as unknown as RequestListener);
    health.attach(server);
    return listenAdapter(health, server);
  };
}

t.test('contract through the Express 5 router', (t) =>
  runContract(
    t,
    viaExpress(() => express5()),
  ),
);
t.test('contract through the Express 4 router', (t) =>
  runContract(
    t,
    viaExpress(() => express4()),
  ),
);

t.test('the router hands on what is not a probe, and mounts under a path', async (t) => {
  const health = createHealth({ shutdown: false, checks: [{ name: 'db', run: async () => {} }] });
  for (const make of [express5, express4] as (() => express5.Express)[]) {
    const app = make();
    app.use('/health', probekitExpress(health));
    app.get('/ready', (_req, res) => {
      res.json({ app: 'own /ready' });
    });
    const server = createServer(app as unknown as RequestListener);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    t.equal((await request(base, '/health/live')).statusCode, 200, 'mounted under /health');
    t.same(JSON.parse((await request(base, '/ready')).body), { app: 'own /ready' }, 'outside the mount: the app');
    t.equal((await request(base, '/health/ready', { method: 'POST' })).statusCode, 404, 'POST is not a probe');
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  t.throws(() => probekitExpress({} as never), { name: 'InvalidOptionError' });
  t.throws(() => probekitExpress(health, { prefix: 'x' }), { name: 'InvalidOptionError' });
  await health.stop();
});

// The same contract table against the node:http layer: health.attach(server, { serveProbes: true }) in front of an
// Express app, so that probes are answered before Express (and its middleware) sees them.
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import t from 'tap';
import { createHealth } from '../../src/health.js';
import { request } from '../helpers/http-client.js';
import { listenAdapter } from './listen.js';
import { type AdapterFactory, runContract } from './table.js';

const viaNodeHttp: AdapterFactory = async (healthOptions, httpOptions) => {
  const health = createHealth({ ...healthOptions, shutdown: false });
  const app = express();
  app.get('/app', (_req, res) => {
    res.json({ app: true });
  });
  const server = createServer(app as unknown as RequestListener);
  health.attach(server, { ...httpOptions, serveProbes: true });
  return listenAdapter(health, server);
};

t.test('contract through the node:http layer', (t) => runContract(t, viaNodeHttp));

t.test('probes skip the app: its middleware never sees them; detach restores the app', async (t) => {
  const health = createHealth({ shutdown: false, checks: [{ name: 'db', run: async () => {} }] });
  const seen: string[] = [];
  const app = express();
  app.use((req, _res, next) => {
    seen.push(req.url);
    next();
  });
  app.get('/ready', (_req, res) => {
    res.json({ app: 'own /ready' });
  });
  const server = createServer(app as unknown as RequestListener);
  const detach = health.attach(server, { serveProbes: true });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.equal((await request(base, '/live')).statusCode, 200);
  t.equal((await request(base, '/other')).statusCode, 404, 'other paths reach Express');
  t.same(seen, ['/other'], 'the middleware saw only the non-probe request');
  detach();
  t.same(JSON.parse((await request(base, '/ready')).body), { app: 'own /ready' }, 'after detach the app answers again');
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await health.stop();
  t.throws(() => health.attach({} as never), { name: 'InvalidOptionError' });
});

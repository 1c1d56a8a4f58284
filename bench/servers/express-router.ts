// probekit's Express router (`probekitExpress(health)`) mounted first on an Express 5 app, ten checks.
import { createServer } from 'node:http';
import express from 'express';
import { createHealth } from 'probekit';
import { probekitExpress } from 'probekit/express';
import { makeChecks, nodeLifecycle, parseServerArgs, SILENT, serve } from './common.js';

const { port, checks } = parseServerArgs();
const health = createHealth({ checks: makeChecks(checks), shutdown: false, logger: SILENT });
const app = express();
app.use(probekitExpress(health));
app.get('/', (_req, res) => {
  res.json({ hello: 'world' });
});
const server = createServer(app);
const node = nodeLifecycle(server, port);
health.start();

await serve({
  listen: node.listen,
  close: async () => {
    await health.stop();
    await node.close();
  },
});

// probekit served at the node:http layer of an Express 5 app (`health.attach(server, { serveProbes: true })`):
// probe hits never enter the Express stack. Ten checks.
import { createServer } from 'node:http';
import express from 'express';
import { createHealth } from 'probekit';
import { makeChecks, nodeLifecycle, parseServerArgs, SILENT, serve } from './common.js';

const { port, checks } = parseServerArgs();
const health = createHealth({ checks: makeChecks(checks), shutdown: false, logger: SILENT });
const app = express();
app.get('/', (_req, res) => {
  res.json({ hello: 'world' });
});
const server = createServer(app);
// After createServer(app): attach wraps the request listener that is already there.
health.attach(server, { serveProbes: true });
const node = nodeLifecycle(server, port);
health.start();

await serve({
  listen: node.listen,
  close: async () => {
    await health.stop();
    await node.close();
  },
});

// Baseline: a bare Express 5 route (`res.send`, Express defaults) answering a static body of probekit's size.
import { createServer } from 'node:http';
import express from 'express';
import { JSON_BODY, JSON_HEADERS, nodeLifecycle, parseServerArgs, serve } from './common.js';

const { port } = parseServerArgs();
const app = express();
app.get('/ready', (_req, res) => {
  res.status(200).set(JSON_HEADERS).send(JSON_BODY);
});

await serve(nodeLifecycle(createServer(app), port));

// Baseline: a bare node:http server answering `/ready` with a static body (the ceiling for any adapter).
import { createServer } from 'node:http';
import { JSON_BODY, JSON_HEADERS, nodeLifecycle, parseServerArgs, serve } from './common.js';

const { port } = parseServerArgs();
const length = String(Buffer.byteLength(JSON_BODY));
const server = createServer((req, res) => {
  if (req.url === '/ready') res.writeHead(200, { ...JSON_HEADERS, 'content-length': length }).end(JSON_BODY);
  else res.writeHead(404).end();
});

await serve(nodeLifecycle(server, port));

// Peer: @godaddy/terminus on a bare node:http server, `healthChecks: {'/ready': fn}` running the same ten
// checks on every hit (`--checks free|slow`). Its body carries the checks twice (`info` and `details`).
import { createServer } from 'node:http';
import { createTerminus } from '@godaddy/terminus';
import { CHECK_COUNT, checkEntry, makeChecks, nodeLifecycle, parseServerArgs, runAll, serve } from './common.js';

const { port, checks: mode } = parseServerArgs();
const checks = makeChecks(mode);
// Half of probekit's per-check fields, since terminus writes the object twice: a body of similar size.
const info: Record<string, unknown> = {};
for (let i = 0; i < CHECK_COUNT; i++) {
  const { status, lastRun, durationMs } = checkEntry(i);
  info[`dep-${i}`] = { status: status === 'pass' ? 'up' : 'down', lastRun, durationMs };
}
const server = createServer((_req, res) => {
  res.writeHead(404).end();
});
createTerminus(server, {
  healthChecks: {
    '/ready': async () => {
      await runAll(checks);
      return info;
    },
  },
  // The runner stops the server with SIGTERM itself; terminus' own signal handling is moved out of the way.
  signals: ['SIGUSR2'],
  headers: { 'cache-control': 'no-store' },
});

await serve(nodeLifecycle(server, port));

// The app of bench/watch-cost.ts: Fastify with probekit, `--count` free checks every `--interval` ms, the status
// page on, watching on (the default cap). Over IPC it answers `{type: 'cpu'}` with its CPU time (µs) and the runs
// done so far, so the bench can tell what watchers add over the same app without them.
import Fastify from 'fastify';
import probekit from 'probekit/fastify';

function arg(name: string): number {
  const i = process.argv.indexOf(`--${name}`);
  const n = Number(process.argv[i + 1]);
  if (i === -1 || !Number.isInteger(n) || n < 0) {
    process.stderr.write(`watch-cost-app: expected --${name} <integer>, got ${process.argv.slice(2).join(' ')}\n`);
    process.exit(2);
  }
  return n;
}

const port = arg('port');
const count = arg('count');
const interval = arg('interval');
// `--jitter-percent <n>` (default: the library's default jitter): the bench measures a run with and without it.
const jitterArg = process.argv.includes('--jitter-percent') ? arg('jitter-percent') / 100 : undefined;
let runs = 0;
const app = Fastify({ logger: false });
await app.register(probekit, {
  shutdown: false,
  logger: { info() {}, warn() {}, error() {}, debug() {} },
  statusPage: true,
  maxWatchers: 1000,
  checks: Array.from({ length: count }, (_, i) => ({
    name: `check-${i}`,
    interval,
    timeout: Math.min(1000, interval - 1),
    ...(jitterArg !== undefined && { jitter: jitterArg }),
    run: async () => {
      runs++;
    },
  })),
});
await app.listen({ host: '127.0.0.1', port });
process.on('message', (msg: { type?: string }) => {
  if (msg?.type !== 'cpu') return;
  const { user, system } = process.cpuUsage();
  process.send?.({ type: 'cpu', cpuUs: user + system, runs });
});
// The runner going away (its IPC channel closed) ends this process too.
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'listening' });

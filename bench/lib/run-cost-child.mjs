// One scenario of `npm run bench:run-cost` (bench/check-run-cost.ts forks it): plain JavaScript on the build, so that
// no TypeScript loader runs beside it (tsx's hooks run on a thread of their own, whose CPU process.cpuUsage() counts:
// 3-4 us a run here). Arguments: --count N --interval MS [--jitter0] [--app] [--seconds S] [--warmup S]
// [--profile FILE].
// - Default jitter: the checks join at random times over the first interval, as the jitter spreads them after a
//   long uptime (registered together, they run in a few bursts for the first minutes: a cheaper, passing shape).
// - `--jitter0`: registered together and never spread, they run in one burst an interval.
// Once every check ran twice and --warmup seconds (default 30) have passed, the process's CPU time over --seconds and
// the runs done meanwhile go to the parent over IPC. The warm-up outlasts what Node does after a start: in its first
// 10 s an idle process used 3-3.7 ms of CPU a second (15 us a run at 200 runs a second), from 10 to 18 s 0.06 ms; with
// 1,000 checks every 5 s, the garbage collector's threads used 5-35 ms of CPU in the 8 s from 11 s on, under 1 ms
// from 31 s on. `--app`: inside a Fastify app with the status page on.
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name}: expected a positive number, got ${process.argv[i + 1]}`);
  return n;
}

const count = option('count', 1000);
const interval = option('interval', Math.max(1000, count));
const seconds = option('seconds', 8);
const warmup = option('warmup', 30);
const jitter0 = process.argv.includes('--jitter0');
let runs = 0;
const check = (i) => ({
  name: `check-${i}`,
  interval,
  timeout: Math.min(1000, interval - 1),
  ...(jitter0 ? { jitter: 0 } : {}),
  run: async () => {
    runs++;
  },
});
const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const initial = jitter0 ? Array.from({ length: count }, (_, i) => check(i)) : [];
let health;
let stop;
if (process.argv.includes('--app')) {
  const { default: Fastify } = await import('fastify');
  const { default: probekit } = await import('probekit/fastify');
  const app = Fastify({ logger: false });
  await app.register(probekit, { shutdown: false, logger: quiet, statusPage: true, maxWatchers: 1000, checks: initial });
  await app.listen({ host: '127.0.0.1', port: 0 });
  health = app.health;
  stop = () => app.close();
} else {
  const { createHealth } = await import('probekit');
  health = createHealth({ shutdown: false, logger: quiet, checks: initial });
  health.start();
  stop = () => health.stop();
}
if (!jitter0) {
  for (let i = 0; i < count; i++) setTimeout(() => health.register(check(i)), Math.random() * interval).unref();
}
const warm = performance.now() + warmup * 1000;
while (runs < count * 2 || performance.now() < warm) await sleep(100);

const profileAt = process.argv.indexOf('--profile');
let session;
if (profileAt !== -1) {
  session = new (await import('node:inspector/promises')).Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 50 });
  await session.post('Profiler.start');
}
const r0 = runs;
const c0 = process.cpuUsage();
await sleep(seconds * 1000);
const c1 = process.cpuUsage(c0);
const done = runs - r0;
if (session) {
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(process.argv[profileAt + 1], JSON.stringify(profile));
}
await stop();
const result = { cpuUs: c1.user + c1.system, runs: done };
if (process.send) process.send(result);
else process.stdout.write(`${JSON.stringify(result)}\n`);
process.disconnect?.();

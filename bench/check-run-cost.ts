// `npm run bench:run-cost`: the CPU of a no-op check run in a bare registry (no HTTP), from the build (`dist/`).
// One child process per scenario (`--child`): N no-op checks every N ms (so one run per ms whatever N), with the
// default jitter and with jitter 0; after every check ran twice, the process's own CPU time (process.cpuUsage())
// over `--seconds` (default 8) divided by the runs done meanwhile. Results: bench/results/run-cost.{json,md}.
// `--child --count N [--jitter0] [--app] --profile <file>` runs one scenario alone and writes the CPU profile of the
// measured window (profile-top.ts prints its hottest functions).
// `--app` measures the same in a Fastify app with the status page on (what bench:watch-cost's phase 4 runs).
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name}: expected a positive number, got ${process.argv[i + 1]}`);
  return n;
}

const SECONDS = option('seconds', 8);
const APP = process.argv.includes('--app');

if (process.argv.includes('--child')) {
  const count = option('count', 1000);
  const jitter = process.argv.includes('--jitter0') ? { jitter: 0 } : {};
  let runs = 0;
  const checks = Array.from({ length: count }, (_, i) => ({
    name: `check-${i}`,
    interval: count,
    timeout: Math.min(1000, count - 1),
    ...jitter,
    run: async () => {
      runs++;
    },
  }));
  const quiet = { info() {}, warn() {}, error() {}, debug() {} };
  let stop: () => Promise<unknown>;
  if (APP) {
    const { default: Fastify } = await import('fastify');
    const { default: probekit } = await import('probekit/fastify');
    const app = Fastify({ logger: false });
    await app.register(probekit, { shutdown: false, logger: quiet, statusPage: true, maxWatchers: 1000, checks });
    await app.listen({ host: '127.0.0.1', port: 0 });
    stop = () => app.close();
  } else {
    const { createHealth } = await import('probekit');
    const health = createHealth({ shutdown: false, logger: quiet, checks });
    health.start();
    stop = () => health.stop();
  }
  while (runs < count * 2) await sleep(100);
  const profile = process.argv.indexOf('--profile');
  const session = profile === -1 ? undefined : new (await import('node:inspector/promises')).Session();
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 50 });
    await session.post('Profiler.start');
  }
  const r0 = runs;
  const c0 = process.cpuUsage();
  await sleep(SECONDS * 1000);
  const c1 = process.cpuUsage(c0);
  const done = runs - r0;
  if (session) {
    const { profile: data } = await session.post('Profiler.stop');
    writeFileSync(process.argv[profile + 1] as string, JSON.stringify(data));
  }
  await stop();
  process.send?.({ usPerRun: (c1.user + c1.system) / done, runs: done });
  process.disconnect?.();
} else {
  const self = fileURLToPath(import.meta.url);
  const results: Record<string, unknown> = {};
  const rows: string[] = [];
  for (const jitter0 of [false, true]) {
    for (const count of [1000, 5000]) {
      const args = ['--child', '--count', String(count), '--seconds', String(SECONDS)];
      if (jitter0) args.push('--jitter0');
      if (APP) args.push('--app');
      const load = loadavg()[0] ?? 0;
      const child = fork(self, args, { execArgv: ['--import', 'tsx'] });
      const result = await new Promise<{ usPerRun: number; runs: number }>((resolve, reject) => {
        child.once('message', (m) => resolve(m as { usPerRun: number; runs: number }));
        child.once('exit', (code) => reject(new Error(`scenario exited with ${code} before reporting`)));
      });
      const label = `${count.toLocaleString('en')} checks, ${jitter0 ? 'jitter 0' : 'default jitter'}`;
      results[`${count}${jitter0 ? 'Jitter0' : ''}`] = { ...result, loadAverage: load };
      rows.push(`| ${label} | ${result.usPerRun.toFixed(1)} µs | ${result.runs} | ${load.toFixed(2)} |`);
      process.stdout.write(`${rows.at(-1)}\n`);
    }
  }
  const md = [
    `Node ${process.version}, ${new Date().toISOString()}, ${APP ? 'Fastify app, status page on' : 'bare registry'}, ${SECONDS} s per scenario`,
    '',
    '| a no-op check run | CPU | runs measured | load average (1 min) |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
  process.stdout.write(`\n${md}`);
  const name = APP ? 'run-cost-app' : 'run-cost';
  writeFileSync(`bench/results/${name}.json`, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(`bench/results/${name}.md`, md);
}

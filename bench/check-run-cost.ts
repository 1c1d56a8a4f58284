// `npm run bench:run-cost`: the CPU of a no-op check run, from the build (`dist/`). Each scenario runs in a process of
// its own, in plain JavaScript (bench/lib/run-cost-child.mjs: no TypeScript loader beside it), `--repeat` times
// (default 3; the median is reported, with the range): N no-op checks every `interval` ms, with the default jitter
// (the runs spread over the interval, as after a long uptime) and with jitter 0 (one burst an interval). The figure is
// the process's CPU time over `--seconds` (default 8), after `--warmup` seconds (default 30: see the child), divided by
// the runs done meanwhile. `--app`: in a Fastify app with the status page on. Results:
// bench/results/run-cost{,-app}.{json,md}. About 10 minutes with the defaults.
// One scenario alone, with a CPU profile of its measured window (bench/profile-top.ts prints its hottest functions):
// `node bench/lib/run-cost-child.mjs --count 1000 --interval 1000 [--jitter0] [--app] --profile <file>`.
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name}: expected a positive number, got ${process.argv[i + 1]}`);
  return n;
}

const SECONDS = option('seconds', 8);
const WARMUP = option('warmup', 30);
const REPEAT = Math.round(option('repeat', 3));
const APP = process.argv.includes('--app');
const CHILD = fileURLToPath(new URL('./lib/run-cost-child.mjs', import.meta.url));

/** The scenarios: checks, interval (ms), jitter 0. 1,000 checks every 5 s shows that the interval changes nothing. */
const SCENARIOS: readonly (readonly [number, number, boolean])[] = [
  [1000, 1000, false],
  [5000, 5000, false],
  [1000, 5000, false],
  [1000, 1000, true],
  [5000, 5000, true],
];

interface Measured {
  cpuUs: number;
  runs: number;
}

function scenario(count: number, interval: number, jitter0: boolean): Promise<Measured> {
  const args = [
    '--count',
    String(count),
    '--interval',
    String(interval),
    '--seconds',
    String(SECONDS),
    '--warmup',
    String(WARMUP),
  ];
  if (jitter0) args.push('--jitter0');
  if (APP) args.push('--app');
  const child = fork(CHILD, args, { execArgv: [] });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as Measured));
    child.once('exit', (code) => reject(new Error(`scenario exited with ${code} before reporting`)));
  });
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const range = (xs: readonly number[]) => (xs.length > 1 ? ` (${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)})` : '');

const results: Record<string, unknown> = {};
const rows: string[] = [];
for (const [count, interval, jitter0] of SCENARIOS) {
  const load = loadavg()[0] ?? 0;
  const figures: number[] = [];
  let runs = 0;
  for (let r = 0; r < REPEAT; r++) {
    const m = await scenario(count, interval, jitter0);
    figures.push(m.cpuUs / m.runs);
    runs += m.runs;
  }
  const label = `${count.toLocaleString('en')} checks every ${interval / 1000} s, ${jitter0 ? 'jitter 0' : 'default jitter'}`;
  results[`${count}x${interval}${jitter0 ? 'Jitter0' : ''}`] = { usPerRun: median(figures), figures, runs, loadAverage: load };
  rows.push(`| ${label} | ${median(figures).toFixed(1)} µs${range(figures)} | ${runs} | ${load.toFixed(2)} |`);
  process.stdout.write(`${rows.at(-1)}\n`);
}
const md = [
  `Node ${process.version}, ${new Date().toISOString()}, ${APP ? 'Fastify app, status page on' : 'bare registry'}, ${SECONDS} s per scenario after ${WARMUP} s, median of ${REPEAT}`,
  '',
  '| a no-op check run | CPU (median, range) | runs measured | load average (1 min) |',
  '| --- | --- | --- | --- |',
  ...rows,
  '',
].join('\n');
process.stdout.write(`\n${md}`);
const name = APP ? 'run-cost-app' : 'run-cost';
writeFileSync(`bench/results/${name}.json`, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(`bench/results/${name}.md`, md);

// `npm run bench:watch-cost`: what watching costs, as ratios against the same app without watchers in the same run.
// One app process per scenario (bench/servers/watch-cost-app.ts: Fastify + probekit from dist, N free checks, the
// status page on); its CPU time is read over IPC, phase by phase:
//   1. 1,000 checks every 5 s: no watcher, then one `/ready?watch` and one status-page watcher (CPU added, as % of
//      a core, and `/live`'s worst latency, polled every 50 ms in both phases);
//   2. one status-page GET at 1,000 checks: CPU per GET, back to back and after a pause in which every check ran;
//   3. 200 checks every 1 s: no watcher, then 100 `/ready?watch` streams (CPU added, `/live` worst latency);
//   4. a no-op check run's CPU at 1,000 and 5,000 checks (no traffic), with the default jitter and with jitter 0, in
//      this bench's app process (under tsx, whose loader thread is counted; bench:run-cost is the reference).
// `--seconds <n>` sets each measured phase (default 15). Results: bench/results/watch-cost.{json,md}.
import { writeFileSync } from 'node:fs';
import { Agent, get, type IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { installCleanup } from './lib/proc.js';
import { type ServerHandle, startServer } from './lib/server.js';

installCleanup();
const i = process.argv.indexOf('--seconds');
const SECONDS = i === -1 ? 15 : Number(process.argv[i + 1]);
if (!Number.isFinite(SECONDS) || SECONDS < 2) throw new Error('--seconds: expected a number >= 2');

interface Cpu {
  cpuUs: number;
  runs: number;
  at: number;
}

function cpu(s: ServerHandle): Promise<Cpu> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no cpu report within 10 s')), 10_000);
    const on = (msg: { type?: string; cpuUs: number; runs: number }) => {
      if (msg?.type !== 'cpu') return;
      clearTimeout(timer);
      s.child.off('message', on);
      resolve({ cpuUs: msg.cpuUs, runs: msg.runs, at: performance.now() });
    };
    s.child.on('message', on);
    s.child.send({ type: 'cpu' });
  });
}

/** Share of one core used between two readings, in %. */
const corePct = (a: Cpu, b: Cpu) => ((b.cpuUs - a.cpuUs) / 1000 / (b.at - a.at)) * 100;

function getOnce(port: number, path: string, agent: Agent): Promise<{ status: number; bytes: number; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path, agent }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, ms: performance.now() - t0 }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${path}: no answer within 10 s`)));
    req.on('error', reject);
  });
}

/** Polls `/live` every 50 ms for `ms`; resolves with the worst latency seen. */
async function liveWorst(port: number, ms: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const end = performance.now() + ms;
  let worst = 0;
  while (performance.now() < end) {
    worst = Math.max(worst, (await getOnce(port, '/live', agent)).ms);
    await sleep(50);
  }
  agent.destroy();
  return worst;
}

interface Watcher {
  events: number;
  bytes: number;
  res: IncomingMessage;
}

/** Opens `path` as an event stream, read to the end; resolves once its first event arrived. */
function watch(port: number, path: string): Promise<Watcher> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const w: Watcher = { events: 0, bytes: 0, res };
      res.on('data', (c: Buffer) => {
        w.bytes += c.length;
        const before = w.events;
        for (let j = c.indexOf('\n\n'); j !== -1; j = c.indexOf('\n\n', j + 2)) w.events++;
        if (before === 0 && w.events > 0) resolve(w);
      });
      res.on('error', () => {});
    });
    req.on('error', reject);
  });
}

async function app(count: number, interval: number, jitterPercent?: number): Promise<ServerHandle> {
  return startServer({
    file: 'watch-cost-app.ts',
    args: [
      '--count',
      String(count),
      '--interval',
      String(interval),
      ...(jitterPercent === undefined ? [] : ['--jitter-percent', String(jitterPercent)]),
    ],
    core: undefined,
  });
}

/** Waits until the app ran `runs` more checks (every check at least once, for a fresh app). */
async function untilRuns(s: ServerHandle, runs: number): Promise<void> {
  const start = (await cpu(s)).runs;
  const deadline = performance.now() + 60_000;
  while ((await cpu(s)).runs - start < runs) {
    if (performance.now() > deadline) throw new Error(`fewer than ${runs} runs within 60 s`);
    await sleep(200);
  }
}

/** A phase: CPU share and `/live`'s worst latency over `SECONDS`. */
async function phase(s: ServerHandle): Promise<{ pct: number; liveMs: number }> {
  const a = await cpu(s);
  const liveMs = await liveWorst(s.port, SECONDS * 1000);
  const b = await cpu(s);
  return { pct: corePct(a, b), liveMs };
}

const results: Record<string, unknown> = {};
const rows: [string, string, string][] = [];
const fmt = (n: number, d = 2) => n.toFixed(d);

{
  process.stdout.write('1. 1,000 checks every 5 s: no watcher, then /ready?watch + the status page watcher\n');
  const s = await app(1000, 5000);
  await untilRuns(s, 1000);
  const none = await phase(s);
  const ready = await watch(s.port, '/ready?watch');
  const page = await watch(s.port, '/health?watch');
  const watched = await phase(s);
  const added = watched.pct - none.pct;
  results.watchers1000 = {
    none,
    watched,
    addedPctOfCore: added,
    ready: { ...ready, res: undefined },
    page: { ...page, res: undefined },
  };
  rows.push([
    '1,000 checks / 5 s: one `/ready?watch` + one status-page watcher',
    `+${fmt(added)} % of a core (${fmt(none.pct)} % -> ${fmt(watched.pct)} %); \`/live\` worst ${fmt(watched.liveMs, 1)} ms (without: ${fmt(none.liveMs, 1)} ms)`,
    '<= 5 %, < 50 ms',
  ]);
  ready.res.destroy();
  page.res.destroy();

  process.stdout.write('2. status page GETs at 1,000 checks\n');
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const base = await cpu(s);
  await sleep(2000);
  const idle = await cpu(s);
  const idleUsPerMs = (idle.cpuUs - base.cpuUs) / (idle.at - base.at);
  const perGet = async (n: number) => {
    const a = await cpu(s);
    let bytes = 0;
    for (let k = 0; k < n; k++) bytes = (await getOnce(s.port, '/health', agent)).bytes;
    const b = await cpu(s);
    return { ms: (b.cpuUs - a.cpuUs - idleUsPerMs * (b.at - a.at)) / 1000 / n, bytes };
  };
  await perGet(3);
  const warm = await perGet(30);
  const cold: number[] = [];
  for (let k = 0; k < 3; k++) {
    await sleep(5500); // every check ran since the last GET
    cold.push((await perGet(1)).ms);
  }
  agent.destroy();
  results.pageGet = { warm, coldMs: cold };
  rows.push([
    'one status-page GET at 1,000 checks (CPU)',
    `${fmt(warm.ms)} ms back to back; ${cold.map((c) => fmt(c)).join(' / ')} ms after 5.5 s (every check ran); ${Math.round(warm.bytes / 1024)} KiB`,
    '<= 5 ms',
  ]);
  await s.stop();
}

{
  process.stdout.write('3. 200 checks every 1 s: no watcher, then 100 /ready?watch streams\n');
  const s = await app(200, 1000);
  await untilRuns(s, 200);
  const none = await phase(s);
  const streams = await Promise.all(Array.from({ length: 100 }, () => watch(s.port, '/ready?watch')));
  const watched = await phase(s);
  results.streams100 = { none, watched, events: streams.reduce((n, w) => n + w.events, 0) };
  rows.push([
    '200 checks / 1 s: 100 `/ready?watch` streams',
    `\`/live\` worst ${fmt(watched.liveMs, 1)} ms (without: ${fmt(none.liveMs, 1)} ms); +${fmt(watched.pct - none.pct)} % of a core`,
    '< 50 ms',
  ]);
  for (const w of streams) w.res.destroy();
  await s.stop();
}

process.stdout.write('4. a no-op check run at 1,000 and 5,000 checks, with the default jitter and with jitter 0\n');
for (const jitterPercent of [undefined, 0]) {
  for (const count of [1000, 5000]) {
    const s = await app(count, count, jitterPercent);
    await untilRuns(s, count * 2);
    const a = await cpu(s);
    await sleep(SECONDS * 1000);
    const b = await cpu(s);
    const us = (b.cpuUs - a.cpuUs) / (b.runs - a.runs);
    const jitter = jitterPercent === undefined ? 'default jitter' : 'jitter 0';
    results[`noopRun${count}${jitterPercent === undefined ? '' : 'Jitter0'}`] = { usPerRun: us, runs: b.runs - a.runs };
    rows.push([
      `a no-op check run at ${count.toLocaleString('en')} checks, ${jitter} (CPU)`,
      `${fmt(us, 1)} µs`,
      count === 1000 ? '<= 15 µs' : 'linear',
    ]);
    await s.stop();
  }
}

const md = [
  `Node ${process.version}, ${new Date().toISOString()}, phases of ${SECONDS} s`,
  '',
  '| scenario | measured | bound |',
  '| --- | --- | --- |',
  ...rows.map((r) => `| ${r.join(' | ')} |`),
  '',
].join('\n');
process.stdout.write(`\n${md}`);
writeFileSync('bench/results/watch-cost.json', `${JSON.stringify(results, null, 2)}\n`);
writeFileSync('bench/results/watch-cost.md', md);
process.exit(0);

// `npm run bench:soak`: a fixed number of hits (default 1,000,000) on probekit's Fastify `/ready` over a real
// loopback listener (wrk with a fixed request count), while two checks time out on every run (interval 100 ms,
// timeout 50 ms: one honours its signal, one ignores it and settles late). The server's RSS and heap are read
// after a forced GC before and after; growth must stay under 5 MB. Exits 1 on a MISS or a wrong answer.
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { injectRate } from './lib/inject-rate.js';
import { findLoader, runLoad } from './lib/load.js';
import { installCleanup, which } from './lib/proc.js';
import { describeMachine } from './lib/report.js';
import { type MemoryReport, startServer, waitForStatus } from './lib/server.js';
import type { LoadResult } from './lib/wrk.js';

const LIMIT_MB = 5;
const say = (line: string) => process.stdout.write(`${line}\n`);
const mb = (bytes: number) => bytes / 1024 / 1024;

function parse(argv: readonly string[]) {
  let requests = 1_000_000;
  let maxSeconds = 600;
  let pin = true;
  let install = true;
  let inject = true;
  let control = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--requests') requests = Number(argv[++i]);
    else if (a === '--max-seconds') maxSeconds = Number(argv[++i]);
    else if (a === '--no-pin') pin = false;
    else if (a === '--no-install') install = false;
    else if (a === '--no-inject') inject = false;
    else if (a === '--control') control = true;
    else
      throw new Error(
        `Unknown option \`${a}\`; usage: npm run bench:soak -- [--requests N] [--max-seconds S] [--no-pin] [--no-install] [--no-inject] [--control]`,
      );
  }
  if (!Number.isInteger(requests) || requests < 1000 || requests > 50_000_000) {
    throw new Error(`Expected \`--requests\` to be an integer in 1000-50000000, got \`${requests}\``);
  }
  if (!Number.isInteger(maxSeconds) || maxSeconds < 10 || maxSeconds > 3600) {
    throw new Error(`Expected \`--max-seconds\` to be an integer in 10-3600, got \`${maxSeconds}\``);
  }
  return { requests, maxSeconds, pin, install, inject, control };
}

const signed = (n: number) => `${n >= 0 ? '+' : ''}${n.toFixed(2)}`;

/** Two consecutive load runs as one: counts summed, rates over the summed time, the worse latency. */
function merge(a: LoadResult, b: LoadResult): LoadResult {
  const seconds = a.seconds + b.seconds;
  const requests = a.requests + b.requests;
  const worse = (x: number, y: number) => Math.max(x, y);
  return {
    requests,
    seconds,
    rps: requests / seconds,
    latency: {
      avg: (a.latency.avg * a.requests + b.latency.avg * b.requests) / requests,
      p50: worse(a.latency.p50, b.latency.p50),
      p90: worse(a.latency.p90, b.latency.p90),
      p99: worse(a.latency.p99, b.latency.p99),
      max: worse(a.latency.max, b.latency.max),
    },
    non2xx: a.non2xx + b.non2xx,
    socketErrors: a.socketErrors + b.socketErrors,
  };
}

function growthLine(what: string, before: number, after: number): [string, boolean] {
  const d = mb(after - before);
  const pass = d < LIMIT_MB;
  return [
    `${what.padEnd(10)} ${mb(before).toFixed(1)} MB -> ${mb(after).toFixed(1)} MB  growth ${d >= 0 ? '+' : ''}${d.toFixed(2)} MB  (target < ${LIMIT_MB} MB) ${pass ? 'PASS' : 'MISS'}`,
    pass,
  ];
}

async function main(): Promise<number> {
  const o = parse(process.argv.slice(2));
  installCleanup();
  const loader = await findLoader('wrk', o.install);
  const pin = o.pin && which('taskset') !== undefined && cpus().length >= 2;
  const machine = describeMachine(loader.kind, pin ? 'server on core 0, load on core 1' : 'not pinned');
  say(`soak: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, load average ${machine.loadavgStart.join(' ')}`);
  if (o.inject) {
    const r = await injectRate(20_000, 5000);
    say(
      `soak: in-process app.inject answers ${r.perSecond.toFixed(0)} /ready per second (${r.requests} measured): ${(o.requests / r.perSecond).toFixed(0)} s for the soak; a real listener and ${loader.kind} are used instead`,
    );
  }
  // --control soaks the bare Fastify route the same way: what its memory does is Fastify's and Node's, not probekit's.
  const file = o.control ? 'fastify-bare.ts' : 'fastify-probekit.ts';
  // The young generation starts at its full size, so that V8 growing it under load is not read as a leak.
  const nodeArgs = ['--expose-gc', '--min-semi-space-size=16'];
  const server = await startServer({ file, args: ['--checks', 'soak'], nodeArgs, core: pin ? 0 : undefined });
  say(`soak: server bench/servers/${file} (${o.control ? 'control: no probekit' : 'ten checks, two time out on every run'})`);
  try {
    const url = `http://127.0.0.1:${server.port}/ready`;
    const answer = await waitForStatus(url, {}, 200, 10_000);
    if (answer instanceof Error || answer.status !== 200) {
      say(
        `soak: FAILED, /ready did not answer 200: ${answer instanceof Error ? answer.message : `${answer.status} ${answer.body.slice(0, 300)}`}`,
      );
      return 1;
    }
    const spec = { url, headers: {}, connections: 50, core: pin ? 1 : undefined };
    // A long warm-up: compiled code, socket buffers and the allocator's arenas settle first; measured from a cold
    // process, their one-off growth would read as a leak.
    const warm = Math.min(200_000, o.requests);
    say(`soak: warm-up, ${warm} hits ...`);
    await runLoad(loader, { ...spec, count: warm, seconds: 120 });
    const before: MemoryReport = await server.memory();
    if (!before.gc) say('soak: WARNING the server has no global.gc (--expose-gc): figures include garbage');
    say(`soak: ${o.requests} hits on ${url} in two halves (bounded by ${o.maxSeconds} s) ...`);
    const half = Math.floor(o.requests / 2);
    const first = await runLoad(loader, { ...spec, count: half, seconds: o.maxSeconds });
    const middle: MemoryReport = await server.memory();
    const second = await runLoad(loader, {
      ...spec,
      count: o.requests - half,
      seconds: Math.max(10, o.maxSeconds - Math.ceil(first.seconds)),
    });
    const after: MemoryReport = await server.memory();
    const load = merge(first, second);
    const runs = after.runStats.started - before.runStats.started;
    say(
      `soak: ${load.requests} hits in ${load.seconds.toFixed(1)} s (${load.rps.toFixed(0)}/s), p99 ${load.latency.p99.toFixed(3)} ms (worse half), non-2xx ${load.non2xx}, socket errors ${load.socketErrors}`,
    );
    if (!o.control) {
      const aborted = after.runStats.aborted - before.runStats.aborted;
      const late = after.runStats.settledLate - before.runStats.settledLate;
      say(
        `soak: ${runs} timed-out check runs during the soak (${aborted} aborted by signal, ${late} settled late after being abandoned)`,
      );
    }
    const out = o.control ? 'bench/results/soak-control.json' : 'bench/results/soak.json';
    const [rssLine, rssOk] = growthLine('RSS', before.memory.rss, after.memory.rss);
    const [heapLine, heapOk] = growthLine('heapUsed', before.memory.heapUsed, after.memory.heapUsed);
    say(`soak: ${rssLine}`);
    say(`soak: ${heapLine}`);
    // A leak grows in both halves alike; a one-off growth (young generation, code) shows in the first only.
    say(
      `soak: second half alone: RSS ${signed(mb(after.memory.rss - middle.memory.rss))} MB, heapUsed ${signed(mb(after.memory.heapUsed - middle.memory.heapUsed))} MB; heapTotal ${mb(before.memory.heapTotal).toFixed(1)} -> ${mb(middle.memory.heapTotal).toFixed(1)} -> ${mb(after.memory.heapTotal).toFixed(1)} MB`,
    );
    const complete = load.requests >= o.requests && load.non2xx === 0 && load.socketErrors === 0;
    if (!complete) say(`soak: MISS, the run was incomplete or answered non-2xx/socket errors`);
    await mkdir('bench/results', { recursive: true });
    const result = {
      date: new Date().toISOString(),
      machine,
      options: o,
      load,
      runs,
      before,
      after,
      pass: rssOk && heapOk && complete,
    };
    await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
    say(`soak: written ${out}`);
    return result.pass ? 0 : 1;
  } finally {
    await server.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`soak: FAILED\n${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);

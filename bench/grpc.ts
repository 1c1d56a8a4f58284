// `npm run bench:grpc`: Check RPCs per second of probekit's gRPC health service against a bare grpc-js unary handler
// returning a constant SERVING response; the same load generator for both (ghz, else a grpc-js client process),
// server on core 0 and load generator on core 1 (taskset), variants interleaved in rounds, medians, ratios.
//   npm run bench:grpc -- [--rounds 5] [--duration 5] [--warmup 2] [--concurrency 50] [--loader ghz|grpc-js]
//                          [--no-pin] [--no-install] [--quick]
// Results: bench/results/grpc.json and bench/results/grpc.md (bench/results/grpc-quick.* for --quick).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { service } from 'grpc-health-check';
import { staleBuild } from './lib/build.js';
import { findGhz, GHZ_VERSION, type GrpcLoad, runGhz, runGrpcJs } from './lib/grpc-ghz.js';
import { installCleanup, pinned, track, which } from './lib/proc.js';
import { describeMachine } from './lib/report.js';
import { median } from './lib/stats.js';

const VARIANTS = [
  { id: 'bare', label: 'bare grpc-js handler, constant SERVING (baseline)' },
  { id: 'probekit', label: 'probekit grpcHealth, 10 checks that take 0 ms' },
  { id: 'probekit-hang', label: 'probekit grpcHealth, 10 checks, 1 hangs to its timeout every run' },
] as const;
type VariantId = (typeof VARIANTS)[number]['id'];

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const quick = flag('quick');
function num(name: string, fallback: number, quickValue = fallback): number {
  const i = argv.indexOf(`--${name}`);
  const n = i === -1 ? (quick ? quickValue : fallback) : Number(argv[i + 1]);
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw new Error(`Expected \`--${name}\` to be an integer 1-1000, got \`${argv[i + 1]}\``);
  return n;
}
const rounds = num('rounds', 5, 1);
const duration = num('duration', 5, 1);
const warmup = num('warmup', 2, 1);
const concurrency = num('concurrency', 50);
const loaderArg = argv.includes('--loader') ? argv[argv.indexOf('--loader') + 1] : 'ghz';
const say = (line: string) => process.stdout.write(`${line}\n`);
const serverScript = fileURLToPath(new URL('./lib/grpc-server.ts', import.meta.url));
const HealthClient = grpc.makeClientConstructor(service, 'grpc.health.v1.Health');

/** Starts a variant's server on `core`; resolves with its port once it printed `listening <port>`. */
async function startServer(id: VariantId, core: number | undefined): Promise<{ child: ChildProcess; port: number }> {
  const [cmd, args] = pinned(core, process.execPath, ['--import', 'tsx', serverScript, '--variant', id]);
  const child = track(spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] }));
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  const until = Date.now() + 20_000;
  while (!/listening (\d+)/.test(out)) {
    if (Date.now() > until || child.exitCode !== null) throw new Error(`${id}: the server did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, port: Number(/listening (\d+)/.exec(out)?.[1]) };
}

/** One Check through grpc-js, so that a variant answering anything but SERVING stops the run. */
async function checkServing(id: string, port: number): Promise<void> {
  const c = new HealthClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    check(r: object, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, res?: { status: string }) => void): void;
  };
  const until = Date.now() + 10_000;
  for (;;) {
    const status = await new Promise<string>((resolve) =>
      c.check({ service: '' }, { deadline: Date.now() + 2000 }, (e, res) => resolve(e ? `error ${e.code}` : (res?.status ?? ''))),
    );
    if (status === 'SERVING') break;
    if (Date.now() > until) throw new Error(`${id}: Check answered ${status}, expected SERVING`);
    await new Promise((r) => setTimeout(r, 100));
  }
  c.close();
}

/**
 * CPU time the process has used, in ms (utime + stime from /proc/<pid>/stat; clock ticks of 10 ms, Linux's USER_HZ).
 * Per call it shows what a Check costs the server even when other processes make the throughput noisy.
 */
function cpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

async function main(): Promise<void> {
  installCleanup();
  if (staleBuild().length > 0)
    say('bench:grpc: WARNING dist/ is older than src/: the servers run the build; run `npm run build`');
  const pin = !flag('no-pin') && which('taskset') !== undefined && cpus().length >= 2;
  const ghz = loaderArg === 'ghz' ? await findGhz(!flag('no-install')) : undefined;
  if (loaderArg === 'ghz' && ghz === undefined) say('bench:grpc: ghz unavailable (no Go?); using the grpc-js client process');
  const loaderName =
    ghz !== undefined
      ? `ghz ${GHZ_VERSION} (--cpus 1, -c ${concurrency})`
      : `grpc-js client (4 channels, ${concurrency} in flight)`;
  const load = (target: string, seconds: number): Promise<GrpcLoad> => {
    const spec = { target, seconds, concurrency, core: pin ? 1 : undefined };
    return ghz !== undefined ? runGhz(ghz, spec) : runGrpcJs(spec);
  };
  const machine = describeMachine(loaderName, pin ? 'server on core 0, load generator on core 1 (taskset)' : 'not pinned');
  say(
    `bench:grpc: ${VARIANTS.length} variants x ${rounds} rounds, ${warmup} s warm-up + ${duration} s; ${machine.pinned}; ${loaderName}`,
  );
  say(`bench:grpc: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, load average ${machine.loadavgStart.join(' ')}`);
  const results = new Map<VariantId, GrpcLoad[]>(VARIANTS.map((v) => [v.id, []]));
  const cpu = new Map<VariantId, number[]>(VARIANTS.map((v) => [v.id, []]));
  for (let round = 1; round <= rounds; round++) {
    // ABC, CBA, ABC...: drift on a shared machine favours no variant.
    for (const v of round % 2 === 1 ? VARIANTS : [...VARIANTS].reverse()) {
      const { child, port } = await startServer(v.id, pin ? 0 : undefined);
      try {
        await checkServing(v.id, port);
        await load(`127.0.0.1:${port}`, warmup);
        const cpu0 = cpuMs(child.pid);
        const r = await load(`127.0.0.1:${port}`, duration);
        const usPerCall = ((cpuMs(child.pid) - cpu0) * 1000) / r.ok;
        if (r.errors > 0) throw new Error(`${v.id}: ${r.errors} failed Check calls`);
        results.get(v.id)?.push(r);
        cpu.get(v.id)?.push(usPerCall);
        const p = r.p99 === undefined ? '' : `  p50 ${r.p50?.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms`;
        say(
          `  round ${round}  ${v.id.padEnd(14)} ${r.rps.toFixed(0).padStart(7)} Check/s  server CPU ${usPerCall.toFixed(1)} us/call${p}`,
        );
      } finally {
        await stopServer(child);
      }
    }
  }
  const med = (id: VariantId) => median((results.get(id) ?? []).map((r) => r.rps));
  const spread = (id: VariantId) => {
    const rps = (results.get(id) ?? []).map((r) => r.rps);
    return (Math.max(...rps) - Math.min(...rps)) / med(id);
  };
  const base = med('bare');
  const cpuMed = (id: VariantId) => median(cpu.get(id) ?? []);
  const rows = VARIANTS.map((v) => ({
    ...v,
    rps: med(v.id),
    spread: spread(v.id),
    ratio: med(v.id) / base,
    cpuUsPerCall: cpuMed(v.id),
    cpuRatio: cpuMed('bare') / cpuMed(v.id),
  }));
  const free = med('probekit') / base;
  const hangVsFree = med('probekit-hang') / med('probekit');
  // Each round's variants run back to back: the median of the per-round ratios cancels drift between rounds.
  const paired = (a: VariantId, b: VariantId) => {
    const ra = results.get(a) ?? [];
    const rb = results.get(b) ?? [];
    return median(ra.map((r, i) => r.rps / (rb[i]?.rps ?? Number.NaN)));
  };
  const pairedFree = paired('probekit', 'bare');
  const pairedHang = paired('probekit-hang', 'probekit');
  // The verdicts use the per-round ratios: on a shared machine the ratio of the medians mixes rounds measured under
  // different loads, while the variants of one round ran seconds apart. Both are printed.
  const targets = [
    {
      target: 'probekit Check >= 0.95x the bare handler (median of per-round ratios)',
      measured: `${pairedFree.toFixed(2)}x (ratio of medians ${free.toFixed(2)}x)`,
      pass: pairedFree >= 0.95,
    },
    {
      target: 'the same (within 5%) whether the checks take 0 ms or hang (median of per-round ratios)',
      measured: `hang ${pairedHang.toFixed(2)}x of 0 ms (ratio of medians ${hangVsFree.toFixed(2)}x; ${(med('probekit-hang') / base).toFixed(2)}x bare)`,
      pass: Math.abs(pairedHang - 1) <= 0.05,
    },
  ];
  machine.loadavgEnd = loadavg().map((n) => Math.round(n * 100) / 100);
  const table = [
    '| Variant | Check/s (median) | spread | x bare | server CPU us/call (median) | x bare (calls per CPU second) |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.label} | ${(r.rps / 1000).toFixed(1)}k | ${(r.spread * 100).toFixed(0)}% | ${r.ratio.toFixed(2)}x | ${r.cpuUsPerCall.toFixed(1)} | ${r.cpuRatio.toFixed(2)}x |`,
    ),
    '',
    '| Target | Measured | Verdict |',
    '|---|---|---|',
    ...targets.map((t) => `| ${t.target} | ${t.measured} | ${t.pass ? 'PASS' : 'MISS'} |`),
  ];
  say('');
  for (const line of table) say(line);
  say(`\nbench:grpc: load average at the end ${machine.loadavgEnd.join(' ')}`);
  const out = fileURLToPath(new URL(`./results/grpc${quick ? '-quick' : ''}`, import.meta.url));
  await mkdir(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
  const report = {
    date: new Date().toISOString(),
    command: `npm run bench:grpc -- ${argv.join(' ')}`.trim(),
    machine,
    rounds: Object.fromEntries(results),
    cpuUsPerCall: Object.fromEntries(cpu),
    rows,
    targets,
  };
  await writeFile(`${out}.json`, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(
    `${out}.md`,
    `# probekit gRPC benchmark, ${report.date}\n\n${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; ${machine.pinned}; ${loaderName}; ${rounds} rounds x ${duration} s\n\n${table.join('\n')}\n`,
  );
  say(`bench:grpc: wrote ${out}.json and ${out}.md`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:grpc: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);

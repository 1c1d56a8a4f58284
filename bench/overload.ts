// `npm run bench:overload`: the overload scenario. An app with one CPU-bound route (20 ms per request) under 200
// concurrent clients, and a kubelet-shaped prober on its liveness probe (a new connection per probe, 1 s timeout,
// one probe a second): failed probes and probe latency p50/p99 while the app is saturated, for probekit's
// main-thread answer, its probe server (a worker thread), @godaddy/terminus and @fastify/under-pressure.
// Results: bench/results/overload.{json,md}.
import { type ChildProcess, fork } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { kubeletHttpProbe } from '../test/kubelet/prober.js';
import { staleBuild } from './lib/build.js';
import { installCleanup, track } from './lib/proc.js';
import { describeMachine } from './lib/report.js';
import { freePort, startServer, waitForStatus } from './lib/server.js';

interface Variant {
  readonly id: string;
  readonly label: string;
  readonly kind: string;
  /** The probe goes to the probe server's port rather than the app's. */
  readonly probeServer?: boolean;
  /** Why the variant is not run, when it is not. */
  readonly skip?: string;
}

const VARIANTS: readonly Variant[] = [
  { id: 'probekit-main', label: 'probekit, /live on the app server (main thread)', kind: 'probekit' },
  {
    id: 'probekit-probe-server',
    label: 'probekit, /live on probeServer (worker thread)',
    kind: 'probekit-worker',
    probeServer: true,
  },
  { id: 'terminus', label: '@godaddy/terminus, /live on node:http', kind: 'terminus' },
  { id: 'under-pressure', label: '@fastify/under-pressure status route /live', kind: 'under-pressure' },
  { id: 'lightship', label: 'lightship, /live on its own server (same thread)', kind: 'lightship', probeServer: true },
];

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const n = i === -1 ? fallback : Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 1 || n > 600) throw new Error(`Expected \`--${name}\` to be an integer from 1 to 600`);
  return n;
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
}

/** Probes once a second for `seconds`; every probe is awaited in parallel with the next (a ticker, as the kubelet's). */
async function probeFor(port: number, seconds: number) {
  const outcomes: Promise<{ passed: boolean; ms: number; output: string }>[] = [];
  for (let i = 0; i < seconds; i++) {
    outcomes.push(
      kubeletHttpProbe({ port, path: '/live', timeoutSeconds: 1 }).then((o) => ({
        passed: o.result !== 'failure',
        ms: o.elapsedMs,
        output: o.output.slice(0, 80),
      })),
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return Promise.all(outcomes);
}

function startLoad(port: number, clients: number): { child: ChildProcess; done: () => number } {
  const child = track(
    fork('bench/lib/saturate.ts', ['--port', String(port), '--clients', String(clients)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  let done = 0;
  child.on('message', (m: { type?: string; done?: number }) => {
    if (m.type === 'done') done = m.done ?? done;
  });
  return { child, done: () => done };
}

async function main(): Promise<void> {
  installCleanup();
  const seconds = arg('duration', 20);
  const clients = arg('clients', 200);
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1]?.split(',') : undefined;
  if (staleBuild().length > 0) process.stdout.write('bench: WARNING dist/ is older than src/: run `npm run build` first\n');
  const machine = describeMachine(`${clients} keep-alive clients (Node)`, 'not pinned');
  process.stdout.write(`overload: ${clients} clients on a 20 ms route, ${seconds} probes of /live each (1 s timeout)\n`);
  process.stdout.write(
    `overload: ${machine.cpu}, ${cpus().length} cores, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );
  const rows: Record<string, unknown>[] = [];
  for (const v of VARIANTS) {
    if (only !== undefined && !only.includes(v.id)) continue;
    if (v.skip !== undefined) {
      process.stdout.write(`${v.id}: skipped (${v.skip})\n`);
      rows.push({ id: v.id, label: v.label, skipped: v.skip });
      continue;
    }
    const probePort = v.probeServer ? await freePort() : undefined;
    const server = await startServer({
      file: 'busy.ts',
      args: ['--kind', v.kind, ...(probePort !== undefined ? ['--probe-port', String(probePort)] : [])],
      core: undefined,
    });
    const port = probePort ?? server.port;
    await waitForStatus(`http://127.0.0.1:${port}/live`, {}, 200, 10_000);
    const idle = await probeFor(port, 3);
    const load = startLoad(server.port, clients);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const runs = await probeFor(port, seconds);
    const served = load.done();
    load.child.kill('SIGKILL');
    await server.stop();
    const ms = runs.map((r) => r.ms);
    const row = {
      id: v.id,
      label: v.label,
      probes: runs.length,
      failed: runs.filter((r) => !r.passed).length,
      p50: percentile(ms, 50),
      p99: percentile(ms, 99),
      idleP50: percentile(
        idle.map((r) => r.ms),
        50,
      ),
      appRequests: served,
      firstFailure: runs.find((r) => !r.passed)?.output,
    };
    rows.push(row);
    process.stdout.write(
      `${v.id.padEnd(22)} failed ${row.failed}/${row.probes}  p50 ${row.p50.toFixed(2)} ms  p99 ${row.p99.toFixed(2)} ms  (idle p50 ${row.idleP50.toFixed(2)} ms; app served ${served})\n`,
    );
  }
  const md = [
    `# Overload scenario (${new Date().toISOString()})`,
    '',
    `${machine.cpu}, ${cpus().length} cores, Node ${process.version}; ${clients} keep-alive clients on a 20 ms CPU-bound route;`,
    `a kubelet-shaped prober on /live: a new connection per probe, 1 s timeout, one a second, ${seconds} probes per variant.`,
    '',
    '| variant | failed probes | p50 (ms) | p99 (ms) | idle p50 (ms) |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((r) =>
      r.skipped !== undefined
        ? `| ${r.label} | skipped: ${r.skipped} | | | |`
        : `| ${r.label} | ${r.failed}/${r.probes} | ${(r.p50 as number).toFixed(2)} | ${(r.p99 as number).toFixed(2)} | ${(r.idleP50 as number).toFixed(2)} |`,
    ),
    '',
    'A failed probe timed out (no answer within 1 s); the p50/p99 of a variant whose probes time out are the 1 s deadline.',
  ].join('\n');
  await mkdir('bench/results', { recursive: true });
  await writeFile(
    'bench/results/overload.json',
    `${JSON.stringify({ machine, command: process.argv.slice(2), rows }, null, 2)}\n`,
  );
  await writeFile('bench/results/overload.md', `${md}\n`);
  process.stdout.write(`${md}\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);

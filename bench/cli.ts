// `npm run bench:cli`: what an exec probe costs. The kubelet (or Docker's HEALTHCHECK) starts a process every period,
// so the figure is the wall time of a whole process: `probekit probe URL` against a bare `node -e` doing one
// node:http GET of the same URL, and against `curl -sf`, interleaved, medians over many runs.
// Target: probekit probe within 1.2x of the bare node GET.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { installCleanup, track, which } from './lib/proc.js';

const USAGE = `Usage: npm run bench:cli -- [options]
  --runs N       measured runs of each command, interleaved (default 30, at most 500)
  --warmup N     unmeasured runs of each command first (default 3)
  --env-as-is    keep NODE_EXTRA_CA_CERTS and NODE_OPTIONS (by default both are removed from the children's
                 environment: a CA bundle there costs every node process tens of ms, which would dilute the ratio)`;

const TARGET = 1.2;
const MAIN = fileURLToPath(new URL('../dist/src/cli/probekit.cjs', import.meta.url));

interface Command {
  readonly id: string;
  readonly label: string;
  readonly cmd: string;
  readonly args: readonly string[];
}

const say = (line: string) => process.stdout.write(`${line}\n`);

function int(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`Expected \`--${name}\` to be an integer in ${min}-${max}, got \`${value}\``);
  return n;
}

/** A node:http server in a child process of its own (not in this one, whose event loop times the runs). */
async function startServer(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string }> {
  const code =
    "require('http').createServer((q,s)=>{s.setHeader('content-type','application/json');s.end('{\"status\":\"pass\",\"checks\":{}}')})" +
    ".listen(0,'127.0.0.1',function(){console.log(this.address().port)})";
  const child = track(spawn(process.execPath, ['-e', code], { env, stdio: ['ignore', 'pipe', 'inherit'] }));
  const port = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the bench server did not start within 10 s')), 10_000);
    child.stdout?.setEncoding('utf8').once('data', (d: string) => {
      clearTimeout(timer);
      resolve(d.trim());
    });
  });
  return { child, url: `http://127.0.0.1:${port}/live` };
}

/** Wall time of one whole process in ms; rejects when it does not exit 0. */
function timeOne(c: Command, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = track(spawn(c.cmd, c.args, { env, stdio: 'ignore' }));
    child.once('error', reject);
    child.once('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code === 0) resolve(ms);
      else reject(new Error(`${c.label} exited with ${code}`));
    });
  });
}

function quantile(sorted: readonly number[], q: number): number {
  const i = (sorted.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (i - lo);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string' },
      warmup: { type: 'string' },
      'env-as-is': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    say(USAGE);
    return 0;
  }
  const runs = int('runs', values.runs, 30, 3, 500);
  const warmup = int('warmup', values.warmup, 3, 0, 50);
  if (!existsSync(MAIN)) throw new Error('dist/src/cli/probekit.cjs is missing: run `npm run build` first');
  installCleanup();
  const env = { ...process.env };
  const removed: string[] = [];
  if (values['env-as-is'] !== true) {
    for (const name of ['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS']) {
      if (env[name] !== undefined) removed.push(name);
      delete env[name];
    }
  }
  const server = await startServer(env);
  const url = server.url;
  const get = `require('http').get(${JSON.stringify(url)},r=>{r.resume();r.on('end',()=>process.exit(r.statusCode>=200&&r.statusCode<400?0:1))}).on('error',()=>process.exit(1))`;
  // The same GET from an ES module file: what any `"type": "module"` executable pays before its first line runs
  // (Node 20's ESM loader, about 5 ms more than CommonJS), i.e. the floor for probekit's bin.
  const dir = mkdtempSync(join(tmpdir(), 'probekit-bench-cli-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const esm = join(dir, 'get.mjs');
  writeFileSync(esm, `process.getBuiltinModule('node:http').${get.replace("require('http').", '')}\n`);
  const commands: Command[] = [
    { id: 'probekit', label: 'probekit probe URL', cmd: process.execPath, args: [MAIN, 'probe', url] },
    { id: 'node-get', label: 'node -e (one node:http GET)', cmd: process.execPath, args: ['-e', get] },
    { id: 'esm-get', label: 'node get.mjs (the same GET as an ES module)', cmd: process.execPath, args: [esm] },
    { id: 'node-bare', label: 'node -e 0 (start-up alone)', cmd: process.execPath, args: ['-e', '0'] },
  ];
  const curl = which('curl');
  if (curl !== undefined) commands.push({ id: 'curl', label: 'curl -sf URL', cmd: curl, args: ['-sf', '-o', '/dev/null', url] });
  else say('bench:cli: curl not found, its row is left out');

  say(`bench:cli: ${runs} runs of each command after ${warmup} warm-up runs, interleaved; ${url}`);
  say(
    `machine: ${cpus().length} x ${cpus()[0]?.model.trim() ?? '?'}, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(
        ' ',
      )}, Node ${process.version}; ${removed.length > 0 ? `removed from the environment: ${removed.join(', ')}` : 'environment as is'}`,
  );
  const times = new Map<string, number[]>(commands.map((c) => [c.id, []]));
  for (let round = 0; round < warmup + runs; round++) {
    // The order turns each round, so that no command always follows the same one.
    for (let k = 0; k < commands.length; k++) {
      const c = commands[(round + k) % commands.length] as Command;
      const ms = await timeOne(c, env);
      if (round >= warmup) times.get(c.id)?.push(ms);
    }
  }
  server.child.kill('SIGKILL');

  const medians = new Map<string, number>();
  say('');
  say(`| command | median ms | p10 ms | p90 ms | x node -e GET |`);
  say('|---|---:|---:|---:|---:|');
  const base = [...(times.get('node-get') ?? [])].sort((a, b) => a - b);
  const baseMedian = quantile(base, 0.5);
  for (const c of commands) {
    const sorted = [...(times.get(c.id) ?? [])].sort((a, b) => a - b);
    const median = quantile(sorted, 0.5);
    medians.set(c.id, median);
    say(
      `| ${c.label} | ${median.toFixed(1)} | ${quantile(sorted, 0.1).toFixed(1)} | ${quantile(sorted, 0.9).toFixed(1)} | ${(median / baseMedian).toFixed(2)}x |`,
    );
  }
  const probekit = medians.get('probekit') as number;
  const ratio = probekit / baseMedian;
  const esmMedian = medians.get('esm-get') as number;
  const curlMedian = medians.get('curl');
  say('');
  say(`probekit probe / node -e GET: ${ratio.toFixed(2)}x (target <= ${TARGET}x): ${ratio <= TARGET ? 'PASS' : 'FAIL'}`);
  say(
    `  the ES module entry alone: ${(esmMedian / baseMedian).toFixed(2)}x; probekit over that floor: ${(probekit / esmMedian).toFixed(2)}x`,
  );
  if (curlMedian !== undefined) say(`probekit probe / curl -sf: ${(probekit / curlMedian).toFixed(2)}x`);
  say(`probekit's own cost over the bare GET: ${(probekit - baseMedian).toFixed(1)} ms per probe`);
  // Like `npm run bench`, a measurement: it exits 0 whatever the verdict, 1 only when it could not measure.
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench:cli: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);

// The load generators of `npm run bench:grpc`: ghz (github.com/bojand/ghz, Go, built with `go install` into the
// same cache as grpc-health-probe), or as a fallback a small grpc-js client process (bench/lib/grpc-load.ts).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pinned, run, which } from './proc.js';

export const GHZ_VERSION = 'v0.93.0';
const GHZ_MODULE = 'github.com/bojand/ghz/cmd/ghz';

const cacheDir = () => join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'probekit-services');
const ghzPath = () => join(cacheDir(), `ghz-${GHZ_VERSION}`, 'bin', 'ghz');

/** The official health.proto, as the grpc-health-check package ships it (ghz reads the method from it). */
export const HEALTH_PROTO = join(
  dirname(createRequire(import.meta.url).resolve('grpc-health-check/package.json')),
  'proto/health/v1/health.proto',
);

const log = (line: string) => process.stderr.write(`${line}\n`);

/** ghz on PATH or in the cache; else built with `go install` when Go is there and `install` is set. */
export async function findGhz(install: boolean): Promise<string | undefined> {
  const onPath = which('ghz');
  if (onPath !== undefined) return onPath;
  if (existsSync(ghzPath())) return ghzPath();
  if (!install || which('go') === undefined) return undefined;
  log(`bench: building ghz ${GHZ_VERSION} with go install into ${dirname(ghzPath())} (once per machine)`);
  const env = `GOBIN=${dirname(ghzPath())}`;
  const r = await run('env', [env, 'GOTOOLCHAIN=local', 'GOWORK=off', 'go', 'install', `${GHZ_MODULE}@${GHZ_VERSION}`], 600_000);
  if (r.code !== 0) log(`bench: go install ghz failed:\n${r.stderr.slice(-2000)}`);
  return existsSync(ghzPath()) ? ghzPath() : undefined;
}

/** One load run's outcome: OK answers per second over the measured time, errors, latency percentiles in ms. */
export interface GrpcLoad {
  readonly ok: number;
  readonly errors: number;
  readonly seconds: number;
  readonly rps: number;
  readonly p50: number | undefined;
  readonly p99: number | undefined;
}

export interface GrpcLoadSpec {
  readonly target: string;
  readonly seconds: number;
  readonly concurrency: number;
  readonly core: number | undefined;
}

interface GhzJson {
  total: number;
  statusCodeDistribution?: Record<string, number>;
  latencyDistribution?: { percentage: number; latency: number }[] | null;
}

/**
 * ghz on one core (`--cpus 1`, pinned), `concurrency` workers on one connection, for `seconds`. The calls that the
 * end of the run cancels are not counted as errors: only OK answers count, per second of the run.
 */
export async function runGhz(bin: string, spec: GrpcLoadSpec): Promise<GrpcLoad> {
  const args = [
    '--insecure',
    `--proto=${HEALTH_PROTO}`,
    '--call=grpc.health.v1.Health/Check',
    '--data={"service":""}',
    `--concurrency=${spec.concurrency}`,
    `--duration=${spec.seconds}s`,
    '--cpus=1',
    '--format=json',
    spec.target,
  ];
  const [cmd, full] = pinned(spec.core, bin, args);
  const r = await run(cmd, full, (spec.seconds + 60) * 1000);
  if (r.code !== 0) throw new Error(`ghz failed (exit ${r.code}): ${r.stderr.slice(-500)}`);
  const j = JSON.parse(r.stdout) as GhzJson;
  const codes = j.statusCodeDistribution ?? {};
  const ok = codes.OK ?? 0;
  // Cancelled/Unavailable are the calls in flight when ghz stops; anything else is a real error.
  const errors = Object.entries(codes).reduce(
    (n, [code, c]) => (['OK', 'Canceled', 'Unavailable'].includes(code) ? n : n + c),
    0,
  );
  const seconds = j.total / 1e9;
  const pct = (p: number) => {
    const l = j.latencyDistribution?.find((d) => d.percentage === p)?.latency;
    return l === undefined ? undefined : l / 1e6;
  };
  return { ok, errors, seconds, rps: ok / seconds, p50: pct(50), p99: pct(99) };
}

/** The grpc-js fallback: 4 channels x (concurrency / 4) calls in flight, in a Node process of its own. */
export async function runGrpcJs(spec: GrpcLoadSpec): Promise<GrpcLoad> {
  const script = fileURLToPath(new URL('./grpc-load.ts', import.meta.url));
  const args = ['--import', 'tsx', script, '--target', spec.target, '--duration', String(spec.seconds), '--warmup', '0'];
  args.push('--channels', '4', '--concurrency', String(Math.max(1, Math.round(spec.concurrency / 4))));
  const [cmd, full] = pinned(spec.core, process.execPath, args);
  const r = await run(cmd, full, (spec.seconds + 60) * 1000);
  if (r.code !== 0) throw new Error(`grpc-load failed (exit ${r.code}): ${r.stderr.slice(-500)}`);
  const j = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { calls: number; errors: number; seconds: number };
  return { ok: j.calls, errors: j.errors, seconds: j.seconds, rps: j.calls / j.seconds, p50: undefined, p99: undefined };
}

// The load generator: wrk (installed from Debian's packages when missing), autocannon only as a fallback.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pinned, run, which } from './proc.js';
import { LoadOutputError, type LoadResult, parseWrk } from './wrk.js';

/** A load generator found on this machine. */
export interface Loader {
  readonly kind: 'wrk' | 'autocannon';
  readonly bin: string;
}

/** One load run: `connections` keep-alive connections on one thread for `seconds`, against a loopback URL. */
export interface LoadSpec {
  readonly url: string;
  readonly seconds: number;
  readonly connections: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Core to pin the generator to, or undefined. */
  readonly core: number | undefined;
  /** Stop after this many responses (`seconds` then only bounds the run). */
  readonly count?: number;
}

/** wrk script that stops wrk after a fixed number of responses. */
const STOP_AFTER = fileURLToPath(new URL('../lua/stop-after.lua', import.meta.url));

const log = (line: string) => process.stderr.write(`${line}\n`);

async function aptInstallWrk(): Promise<boolean> {
  if (process.getuid?.() !== 0 || which('apt-get') === undefined) return false;
  log('bench: wrk is missing; installing it with apt-get (Debian package `wrk`)');
  let r = await run('apt-get', ['install', '-y', '-q', 'wrk'], 300_000);
  if (r.code !== 0) {
    await run('apt-get', ['update', '-q'], 300_000);
    r = await run('apt-get', ['install', '-y', '-q', 'wrk'], 300_000);
  }
  if (r.code !== 0) log(`bench: apt-get install wrk failed:\n${r.stderr.slice(-2000)}`);
  return which('wrk') !== undefined;
}

function findAutocannon(): string | undefined {
  const local = join(process.cwd(), 'node_modules', '.bin', 'autocannon');
  return existsSync(local) ? local : which('autocannon');
}

/**
 * Finds wrk, installing it with apt-get when missing (root only, unless `install` is false); else autocannon.
 * @throws Error when neither can be had.
 */
export async function findLoader(prefer: 'wrk' | 'autocannon', install: boolean): Promise<Loader> {
  if (prefer === 'wrk') {
    let bin = which('wrk');
    if (bin === undefined && install && (await aptInstallWrk())) bin = which('wrk');
    if (bin !== undefined) return { kind: 'wrk', bin };
    log('bench: wrk is not available; falling back to autocannon (single-threaded Node: it may saturate first)');
  }
  const ac = findAutocannon();
  if (ac !== undefined) return { kind: 'autocannon', bin: ac };
  throw new Error('No load generator: install wrk (`apt-get install wrk`) or autocannon (`npm i -D autocannon`)');
}

/** wrk takes `-H 'name: value'`, autocannon `-H name=value`. */
function headerArgs(kind: Loader['kind'], headers: Readonly<Record<string, string>>): string[] {
  return Object.entries(headers).flatMap(([k, v]) => ['-H', kind === 'wrk' ? `${k}: ${v}` : `${k}=${v}`]);
}

/** Reads autocannon's `--json` output into the shape wrk's parser gives. */
export function parseAutocannon(text: string): LoadResult {
  let j: {
    requests: { average: number; total: number };
    latency: { average: number; p50: number; p90: number; p99: number; max: number };
    non2xx: number;
    errors: number;
    timeouts: number;
    duration: number;
  };
  try {
    j = JSON.parse(text.slice(text.indexOf('{')));
  } catch {
    throw new LoadOutputError(`autocannon: unreadable output:\n${text.slice(0, 2000)}`);
  }
  return {
    requests: j.requests.total,
    seconds: j.duration,
    rps: j.requests.total / j.duration,
    latency: { avg: j.latency.average, p50: j.latency.p50, p90: j.latency.p90, p99: j.latency.p99, max: j.latency.max },
    non2xx: j.non2xx,
    socketErrors: j.errors + j.timeouts,
  };
}

/**
 * Loads one URL and returns what the generator measured. Bounded: the generator is killed 30 s after its duration.
 * @throws LoadOutputError when the generator failed or printed something unreadable.
 */
export async function runLoad(loader: Loader, spec: LoadSpec): Promise<LoadResult> {
  if (!spec.url.startsWith('http://127.0.0.1:')) throw new Error(`bench targets loopback only, got ${spec.url}`);
  const count = spec.count === undefined ? [] : [String(spec.count)];
  const args =
    loader.kind === 'wrk'
      ? ['-t1', `-c${spec.connections}`, `-d${spec.seconds}s`, '--latency', ...headerArgs(loader.kind, spec.headers)].concat(
          count.length > 0 ? ['-s', STOP_AFTER, spec.url, '--', ...count] : [spec.url],
        )
      : ['-c', String(spec.connections), '-d', String(spec.seconds), '-j', ...headerArgs(loader.kind, spec.headers)].concat(
          count.length > 0 ? ['-a', ...count] : [],
          [spec.url],
        );
  const [cmd, full] = pinned(spec.core, loader.bin, args);
  const r = await run(cmd, full, (spec.seconds + 30) * 1000);
  if (r.code !== 0 || r.timedOut) {
    throw new LoadOutputError(`${loader.kind} exited with ${r.timedOut ? 'a timeout' : r.code}: ${r.stderr || r.stdout}`);
  }
  return loader.kind === 'wrk' ? parseWrk(r.stdout) : parseAutocannon(r.stdout);
}

// What every benchmark server shares: its arguments, the ten checks, the static bodies of the baselines,
// and its life cycle (ready message over IPC, memory report, exit on SIGTERM or when the runner goes away).
import type { Server } from 'node:http';
import type { Check } from 'probekit';

/** How the ten checks behave. `soak` is the memory soak's set (short interval, checks that time out). */
export type CheckMode = 'free' | 'slow' | 'hang' | 'soak';

const MODES: readonly CheckMode[] = ['free', 'slow', 'hang', 'soak'];

/** Arguments of a server process: `--port <n>` (required) and `--checks <mode>` (default `free`). */
export interface ServerArgs {
  readonly port: number;
  readonly checks: CheckMode;
}

/** Parses the server's argv; exits with code 2 on bad arguments, so the runner reports a failed start. */
export function parseServerArgs(argv: readonly string[] = process.argv.slice(2)): ServerArgs {
  let port = Number.NaN;
  let checks: CheckMode = 'free';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--port') port = Number(argv[++i]);
    else if (a === '--checks') checks = argv[++i] as CheckMode;
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535 || !MODES.includes(checks)) {
    process.stderr.write(`bench server: expected --port <1-65535> [--checks ${MODES.join('|')}], got ${argv.join(' ')}\n`);
    process.exit(2);
  }
  return { port, checks };
}

/** Loopback only: no benchmark server listens anywhere else. */
export const HOST = '127.0.0.1';

/** Number of checks every variant registers. */
export const CHECK_COUNT = 10;

/** Counters the soak reads: runs started, runs aborted by their timeout, late runs that settled after it. */
export const runStats = { started: 0, aborted: 0, settledLate: 0 };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A run that never settles by itself: it rejects only when its signal aborts (the timeout). */
function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise<void>((_resolve, reject) => {
    signal.addEventListener(
      'abort',
      () => {
        runStats.aborted++;
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

/** A run that ignores its signal and settles 30 ms after its timeout: the scheduler must abandon it. */
async function settlesLate(): Promise<void> {
  await sleep(80);
  runStats.settledLate++;
}

function soakChecks(): Check[] {
  const checks: Check[] = [];
  for (let i = 0; i < CHECK_COUNT - 2; i++) checks.push({ name: `dep-${i}`, interval: 100, timeout: 50, run: async () => {} });
  // Non-critical: they fail for the whole soak, /ready stays 200 (`warn`), one consistent answer.
  const base = { interval: 100, timeout: 50, critical: false, failureThreshold: 1 };
  checks.push({
    ...base,
    name: 'times-out-honours-signal',
    run: (signal) => {
      runStats.started++;
      return untilAborted(signal);
    },
  });
  checks.push({
    ...base,
    name: 'times-out-ignores-signal',
    run: () => {
      runStats.started++;
      return settlesLate();
    },
  });
  return checks;
}

/**
 * The ten checks of a variant, as probekit `Check`s (the peers call the same `run` functions on every hit).
 * `free`: resolve at once. `slow`: each takes 5 ms. `hang`: nine free, one non-critical check that hangs until
 * its 500 ms timeout on every run. Interval 1000 ms for all but `soak` (100 ms, timeout 50 ms).
 */
export function makeChecks(mode: CheckMode): Check[] {
  if (mode === 'soak') return soakChecks();
  const checks: Check[] = [];
  for (let i = 0; i < CHECK_COUNT; i++) {
    const name = `dep-${i}`;
    if (mode === 'hang' && i === CHECK_COUNT - 1) {
      checks.push({ name, interval: 1000, timeout: 500, critical: false, run: (signal) => untilAborted(signal) });
    } else if (mode === 'slow') {
      checks.push({ name, interval: 1000, run: () => sleep(5) });
    } else {
      checks.push({ name, interval: 1000, run: async () => {} });
    }
  }
  return checks;
}

const noop = () => {};

/** A logger that drops everything: the servers' output would only interleave with the runner's table. */
export const SILENT = Object.freeze({ info: noop, warn: noop, error: noop, debug: noop });

/** A signal that never aborts, for the peers, which call `run` themselves on every hit. */
export const NEVER = new AbortController().signal;

/** Runs the ten checks in parallel, as a peer's health route does on every hit. */
export function runAll(checks: readonly Check[]): Promise<unknown> {
  return Promise.all(checks.map((c) => c.run(NEVER)));
}

/** Headers probekit answers with; the baselines send the same. */
export const JSON_HEADERS = Object.freeze({ 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });

/** One check in the shape of probekit's JSON body, with fixed values (about 180 bytes). */
export function checkEntry(i: number): Record<string, unknown> {
  return {
    status: 'pass',
    critical: true,
    since: '2026-01-01T00:00:00.000Z',
    lastRun: '2026-01-01T00:00:00.000Z',
    durationMs: 0.05 + i / 100,
    consecutiveFailures: 0,
    consecutiveSuccesses: 1,
  };
}

/** The ten checks keyed by name, in probekit's shape. */
export function checkEntries(): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (let i = 0; i < CHECK_COUNT; i++) out[`dep-${i}`] = checkEntry(i);
  return out;
}

/** The baselines' body: the size and shape of probekit's `/ready` JSON with ten passing checks (about 1.8 kB). */
export const JSON_BODY = JSON.stringify({ status: 'pass', checks: checkEntries() });

/** Sends a message to the runner when there is one (the servers also run standalone, for a quick curl). */
function tell(message: object): void {
  if (typeof process.send === 'function') process.send(message);
}

/** What a server hands to {@link serve}: how to listen and how to close. */
export interface Lifecycle {
  listen(): Promise<void>;
  close(): Promise<void>;
}

/** The life cycle of a node:http server (bare, Express, terminus): listen on loopback, close with its sockets. */
export function nodeLifecycle(server: Server, port: number): Lifecycle {
  return {
    listen: () =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, HOST, () => resolve());
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Listens, then tells the runner (`{type: 'listening'}` over IPC). Answers `{type: 'mem'}` with the memory use
 * after a forced GC (when `--expose-gc` is on) plus {@link runStats}. Exits on SIGTERM/SIGINT and when the
 * runner's IPC channel closes, so that no server outlives the run; the close is bounded by 2 s.
 */
export async function serve(life: Lifecycle): Promise<void> {
  let closing = false;
  const exit = () => {
    if (closing) return;
    closing = true;
    setTimeout(() => process.exit(0), 2000).unref();
    life.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', exit);
  process.on('SIGINT', exit);
  process.on('disconnect', exit);
  process.on('message', (msg: { type?: string }) => {
    if (msg?.type !== 'mem') return;
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc) {
      gc();
      gc();
    }
    tell({ type: 'mem', gc: gc !== undefined, memory: process.memoryUsage(), runStats });
  });
  await life.listen();
  tell({ type: 'listening', pid: process.pid });
}

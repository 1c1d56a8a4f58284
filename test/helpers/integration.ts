// Shared pieces of the plugin integration tests: a Fastify app serving the probes for a check, bounded polling,
// a probe-load generator, an unhandled-rejection spy, and a wrapper that watches a check's runs.
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import type tap from 'tap';
import { CheckTimeoutError } from '../../src/core/errors.js';
import type { Check } from '../../src/core/types.js';
import probekit from '../../src/fastify/index.js';
import type { Proxy as CountingProxy } from '../plugins/silent-server.js';

type Tap = Parameters<Parameters<typeof tap.test>[0]>[0];

/** A running app with its probes on a real loopback listener. */
export interface TestApp {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

/** A tap test object, as far as these helpers use it. */
interface Teardown {
  teardown(fn: () => unknown): void;
}

/**
 * Starts a Fastify app with the probekit plugin (details shown) and the given checks, plus `GET /hello`
 * (a route that does no I/O, to show the app keeps serving during an outage) and, when `work` is given,
 * `GET /work` (the app's own use of its client). Closed on teardown.
 */
export async function startApp(t: Teardown, checks: Check[], work?: () => Promise<unknown>): Promise<TestApp> {
  const app = Fastify({ logger: false });
  await app.register(probekit, { checks, details: 'always' });
  app.get('/hello', async () => ({ hello: 'world' }));
  if (work) app.get('/work', async () => ({ result: await work() }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await app.close();
  };
  t.teardown(close);
  return { app, url, close };
}

/** One HTTP answer. */
export interface Answer {
  status: number;
  body: string;
}

/** GET over a fresh connection (no keep-alive), with a bounded wait. */
export function get(url: string, timeoutMs = 5000, agent?: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: agent ?? false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** `/ready` with its JSON body parsed. */
export async function ready(base: string): Promise<{ status: number; json: ReadyBody }> {
  const r = await get(`${base}/ready`);
  return { status: r.status, json: JSON.parse(r.body) as ReadyBody };
}

/** The JSON body of a probe. */
export interface ReadyBody {
  status: string;
  checks: Record<string, { status: string; output?: string; consecutiveFailures: number }>;
}

/**
 * Polls `probe` every `everyMs` until it returns true; resolves with the elapsed ms.
 * Rejects after `withinMs`, naming `what` and the last value seen (never waits unbounded).
 */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean> | boolean,
  withinMs: number,
  everyMs = 50,
): Promise<number> {
  const start = performance.now();
  let last: unknown;
  for (;;) {
    try {
      if (await probe()) return Math.round(performance.now() - start);
      last = 'false';
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (performance.now() - start > withinMs) throw new Error(`${what}: not within ${withinMs} ms (last: ${String(last)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Waits until `/ready` answers `status` (200 or 503); resolves with the elapsed ms. */
export function waitForReady(base: string, status: 200 | 503, withinMs: number): Promise<number> {
  return waitFor(`/ready ${status}`, async () => (await ready(base)).status === status, withinMs);
}

/** Result of {@link probeLoad}. */
export interface LoadResult {
  requests: number;
  /** Count per HTTP status. */
  statuses: Record<number, number>;
  errors: number;
  /** The first few errors' messages, for the assertion's message. */
  errorSample: string[];
}

/**
 * `concurrency` clients each sending GET `path` back to back over keep-alive connections for `durationMs`.
 * Bounded in count of clients and in time; every socket is destroyed at the end.
 */
export async function probeLoad(base: string, path: string, concurrency: number, durationMs: number): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const result: LoadResult = { requests: 0, statuses: {}, errors: 0, errorSample: [] };
  const deadline = performance.now() + durationMs;
  const worker = async () => {
    while (performance.now() < deadline) {
      try {
        // 10 s: the answer time of a loaded test machine (several files at once) is not what these tests measure.
        const r = await get(`${base}${path}`, 10_000, agent);
        result.statuses[r.status] = (result.statuses[r.status] ?? 0) + 1;
      } catch (err) {
        result.errors++;
        if (result.errorSample.length < 3) result.errorSample.push((err as Error).message);
      }
      result.requests++;
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
  return result;
}

/** Collects unhandled rejections for the rest of the test. */
export function rejectionSpy(t: Teardown): unknown[] {
  const seen: unknown[] = [];
  const onRejection = (reason: unknown) => {
    seen.push(reason);
  };
  process.on('unhandledRejection', onRejection);
  t.teardown(() => {
    process.off('unhandledRejection', onRejection);
  });
  return seen;
}

/** What {@link watchRuns} records about a check's runs. */
export interface RunLog {
  /** Runs started. */
  runs: number;
  /** Runs whose promise has not settled yet. */
  inFlight: number;
  /** Most runs ever unsettled at once. */
  maxInFlight: number;
  /** The signal of every run, in order. */
  signals: AbortSignal[];
}

/** Wraps a check so its runs are counted; the check itself is untouched. */
export function watchRuns(check: Check): { check: Check; log: RunLog } {
  const log: RunLog = { runs: 0, inFlight: 0, maxInFlight: 0, signals: [] };
  const run = check.run.bind(check);
  const wrapped: Check = {
    ...check,
    run(signal) {
      log.runs++;
      log.signals.push(signal);
      log.inFlight++;
      log.maxInFlight = Math.max(log.maxInFlight, log.inFlight);
      const settle = () => {
        log.inFlight--;
      };
      const p = run(signal);
      p.then(settle, settle);
      return p;
    },
  };
  return { check: wrapped, log };
}

/** A signal that aborts with a CheckTimeoutError after `ms`, as the scheduler's does. */
export function timedOut(ms: number): AbortSignal {
  const ac = new AbortController();
  setTimeout(() => ac.abort(new CheckTimeoutError(ms)), ms);
  return ac.signal;
}

/**
 * For a check on a single connection behind a counting proxy that has answered once: with the proxy stalled, two
 * runs time out and send one query between them; once it resumes, that query arrives alone and the check passes.
 */
export async function assertHungQuerySentOnce(t: Tap, check: Check, proxy: CountingProxy): Promise<void> {
  await check.run(new AbortController().signal);
  t.equal(proxy.count, 1);
  proxy.stall();
  await t.rejects(check.run(timedOut(100)), CheckTimeoutError);
  await t.rejects(check.run(timedOut(100)), CheckTimeoutError, 'the second run waits for the same query');
  proxy.resume();
  await waitFor('the held query reached the server', () => proxy.count >= 2, 5000);
  // A second copy would arrive right behind the first: give it 100 ms to show up.
  await new Promise((r) => setTimeout(r, 100));
  t.equal(proxy.count, 2, 'the two timed-out runs sent one query between them');
  await check.run(new AbortController().signal);
}

// Paced keep-alive load for the shutdown tests: `connections` workers, each with at most one request in flight, so the
// client keeps at most that many keep-alive connections (global `fetch`, i.e. undici, or an `http.Agent`), and the
// workers together send `rate` requests/s. Every failure is kept with its time and error code.
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** The keep-alive client: global `fetch` (undici's pool) or `node:http` with `Agent({ keepAlive: true })`. */
export type ClientKind = 'fetch' | 'agent';

export interface Failure {
  /** Ms since the load started, when the request was sent. */
  at: number;
  status?: number;
  /** The error code (`UND_ERR_SOCKET`, `ECONNRESET`, ...) and message. */
  error?: string;
}

export interface LoadRun {
  /** Ms-since-start of every request sent, in order, to split the run into windows. */
  readonly sentAt: number[];
  readonly failed: Failure[];
  ok: number;
  /** The Date.now() at which the load began. */
  readonly startedAt: number;
  /** Stops sending, waits for the requests in flight, and closes the client's connections. */
  stop(): Promise<void>;
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.cause?.code ?? e.code ?? 'no code';
  return `${code}: ${e.cause?.message ?? e.message ?? String(err)}`;
}

/** One GET over `agent`; resolves the status (0 and the error on failure), never rejects. */
function viaAgent(agent: Agent, port: number, path: string): Promise<{ status: number; error?: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
      res.on('error', (err) => resolve({ status: 0, error: describe(err) }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('no answer within 10 s'), { code: 'TIMEOUT' })));
    req.on('error', (err) => resolve({ status: 0, error: describe(err) }));
    req.end();
  });
}

async function viaFetch(port: number, path: string): Promise<{ status: number; error?: string }> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer();
    return { status: res.status };
  } catch (err) {
    return { status: 0, error: describe(err) };
  }
}

/**
 * Starts the load on `127.0.0.1:port` and keeps it up until `stop()`. Each worker sends its next request at its next
 * slot (every `connections / rate` s, the workers' slots spread evenly), or at once while it is behind.
 */
export function startLoad(opts: { port: number; kind: ClientKind; rate: number; connections: number; path?: string }): LoadRun {
  const { port, kind, rate, connections, path = '/' } = opts;
  const agent = kind === 'agent' ? new Agent({ keepAlive: true, maxSockets: connections }) : undefined;
  const period = (1000 * connections) / rate;
  const startedAt = Date.now();
  let stopping = false;
  const run: LoadRun = {
    sentAt: [],
    failed: [],
    ok: 0,
    startedAt,
    stop: async () => {
      stopping = true;
      await Promise.all(workers);
      agent?.destroy();
    },
  };
  const worker = async (i: number) => {
    let next = startedAt + (period * i) / connections;
    while (!stopping) {
      const wait = next - Date.now();
      if (wait > 0) await sleep(wait);
      if (stopping) break;
      const at = Date.now() - startedAt;
      run.sentAt.push(at);
      const r = agent ? await viaAgent(agent, port, path) : await viaFetch(port, path);
      if (r.status === 200) run.ok++;
      else run.failed.push({ at, ...(r.status !== 0 && { status: r.status }), ...(r.error !== undefined && { error: r.error }) });
      // A worker that fell behind (a slow answer) catches up by sending at once, but never bursts more than 1 s.
      next = Math.max(next + period, Date.now() - 1000);
    }
  };
  const workers = Array.from({ length: connections }, (_, i) => worker(i));
  return run;
}

/** Requests sent, and those that failed, in `[from, to)` (ms since the load began). */
export function window(run: LoadRun, from: number, to: number): { sent: number; failed: Failure[] } {
  return {
    sent: run.sentAt.filter((at) => at >= from && at < to).length,
    failed: run.failed.filter((f) => f.at >= from && f.at < to),
  };
}

// The saturated-app harness: the busy app in a child process (so that the prober here is never starved by the app's
// loop), 200 keep-alive clients on its CPU-bound route, and a kubelet-shaped prober (a new connection per probe,
// 1 s timeout) on a fixed period.
import { type ChildProcess, fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { kubeletHttpProbe, type ProbeOutcome } from '../kubelet/prober.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The busy app, running. */
export interface BusyApp {
  readonly child: ChildProcess;
  /** The app's own server (Fastify, with probekit's routes). */
  readonly appPort: number;
  /** The probe server's port. */
  readonly probePort: number;
  /** Kills it (SIGKILL) if it still runs. */
  kill(): void;
}

/** Starts the busy app with the given environment; resolves once both servers listen (bounded: 30 s). */
export function startBusyApp(env: Record<string, string> = {}): Promise<BusyApp> {
  const child = fork('test/probe-server/fixtures/busy-app.ts', [], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      kill();
      reject(new Error('the busy app did not start within 30 s'));
    }, 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the busy app exited with ${code} before listening`));
    });
    child.on('message', (m: { type?: string; app?: number; probe?: number }) => {
      if (m.type !== 'ports') return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({ child, appPort: m.app as number, probePort: m.probe as number, kill });
    });
  });
}

/** Load on a route: `clients` keep-alive connections, each sending its next request when the last is answered. */
export interface Load {
  /** Requests answered so far. */
  readonly done: () => number;
  /** The clients' keep-alive agent: a request sent through it waits for the next free connection of the load. */
  readonly agent: Agent;
  stop(): void;
}

/** Starts `clients` concurrent clients looping on `GET <path>` of the app. */
export function startLoad(port: number, path: string, clients = 200): Load {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  let running = true;
  let done = 0;
  const loop = () => {
    if (!running) return;
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => {
        done++;
        loop();
      });
    });
    // A request cut by the stop (or by an overloaded accept queue) just ends this client's loop turn.
    req.on('error', () => setTimeout(loop, 50));
    req.end();
  };
  for (let i = 0; i < clients; i++) loop();
  return {
    done: () => done,
    agent,
    stop: () => {
      running = false;
      agent.destroy();
    },
  };
}

/** One probe's result, as the prober saw it. */
export interface ProbeRecord {
  readonly at: number;
  readonly outcome: ProbeOutcome;
}

/**
 * Probes `path` every `periodMs` (a ticker, as the kubelet's: a slow probe does not shift the next one) until
 * `stop()`; every probe is a new connection with the kubelet's 1 s timeout. `records` fills as probes end.
 */
export function startProber(port: number, path: string, periodMs: number) {
  const records: ProbeRecord[] = [];
  const pending = new Set<Promise<void>>();
  const started = performance.now();
  const fire = () => {
    const at = performance.now() - started;
    const p = kubeletHttpProbe({ port, path, timeoutSeconds: 1 }).then((outcome) => {
      records.push({ at, outcome });
      pending.delete(p);
    });
    pending.add(p);
  };
  fire();
  const timer = setInterval(fire, periodMs);
  return {
    records,
    /** Stops probing; resolves once the probes in flight have ended. */
    async stop(): Promise<ProbeRecord[]> {
      clearInterval(timer);
      await Promise.all(pending);
      return records.sort((a, b) => a.at - b.at);
    },
  };
}

/** Waits `ms` (the probes run meanwhile: this is the measurement window, not a wait for a state). */
export function during(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The `reason` field of a JSON probe body, if any. */
export function reasonOf(o: ProbeOutcome): string | undefined {
  try {
    return (JSON.parse(o.body) as { reason?: string }).reason;
  } catch {
    return undefined;
  }
}

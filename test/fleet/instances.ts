// Child-process instances of test/fleet/fleet-app.ts on loopback addresses of their own, all on one port, plus the
// helpers the tests behind a real balancer share: a port free on every address, GETs, paced keep-alive load.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { ROOT } from '../shutdown/proc.js';

export const HOSTS = ['127.0.0.2', '127.0.0.3', '127.0.0.4'] as const;

/** A port free on every address of `hosts`. */
export async function commonPort(hosts: readonly string[] = HOSTS): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, hosts[0], r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const free = await Promise.all(
      hosts.map(
        (h) =>
          new Promise<boolean>((resolve) => {
            const s = createServer();
            s.once('error', () => resolve(false));
            s.listen(port, h, () => s.close(() => resolve(true)));
          }),
      ),
    );
    if (free.every(Boolean)) return port;
  }
  throw new Error('no port free on every address');
}

export interface Proc {
  host: string;
  port: number;
  child: ChildProcess;
  lines: Record<string, unknown>[];
  stderr: string[];
  url(path: string): string;
  exited(ms: number): Promise<number | string>;
  kill(): void;
}

/** GET with a fresh connection; never rejects (status 0 = connection error). */
export async function get(url: string): Promise<{ status: number; body: string }> {
  try {
    const res = await fetch(url, { headers: { connection: 'close' } });
    return { status: res.status, body: await res.text() };
  } catch (err) {
    return { status: 0, body: String(err) };
  }
}

/** Starts fleet-app.ts on host:port and waits (bounded) until it answers /live. */
export async function startFleetApp(host: string, port: number, env: Record<string, string>): Promise<Proc> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fleet/fleet-app.ts'], {
    cwd: ROOT,
    env: { ...process.env, HOST: host, PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  let buf = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk;
    for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
      const raw = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        lines.push(JSON.parse(raw) as Record<string, unknown>);
      } catch {
        lines.push({ msg: raw });
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => stderr.push(c));
  const exit = once(child, 'exit').then(([code, sig]) => (code as number | null) ?? (sig as string));
  const proc: Proc = {
    host,
    port,
    child,
    lines,
    stderr,
    url: (path) => `http://${host}:${port}${path}`,
    exited: (ms) =>
      Promise.race([
        exit,
        new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`no exit within ${ms} ms`)), ms).unref()),
      ]),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
  const until = Date.now() + 40_000;
  for (;;) {
    if ((await get(proc.url('/live'))).status === 200) return proc;
    if (Date.now() > until || child.exitCode !== null) {
      proc.kill();
      throw new Error(`fleet-app on ${host}:${port} did not start; stderr: ${stderr.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The readiness status word of an instance (`pass`, `warn`, `fail`), or `down` when it does not answer. */
export async function readiness(p: Proc): Promise<string> {
  const r = await get(p.url('/ready'));
  try {
    return (JSON.parse(r.body) as { status: string }).status;
  } catch {
    return 'down';
  }
}

export interface LoadResult {
  sent: number;
  ok: number;
  failed: { status?: number; error?: string }[];
  /** Answers per backend (the app's `/` names its host). */
  byHost: Record<string, number>;
}

/** Paced keep-alive load on `url`: `rate` requests/s until `stop()`, which resolves once every request ended; `result` fills as it goes. */
export function load(url: string, rate: number): { result: LoadResult; stop(): Promise<LoadResult> } {
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const result: LoadResult = { sent: 0, ok: 0, failed: [], byHost: {} };
  const started = Date.now();
  let outstanding = 0;
  let stopping: (() => void) | undefined;
  const fire = () => {
    result.sent++;
    outstanding++;
    const req = request(url, { agent, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => {
        if (res.statusCode === 200) {
          result.ok++;
          try {
            const h = (JSON.parse(body) as { host: string }).host;
            result.byHost[h] = (result.byHost[h] ?? 0) + 1;
          } catch {}
        } else result.failed.push({ status: res.statusCode ?? 0 });
        done();
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => {
      result.failed.push({ error: String(err) });
      done();
    });
    req.end();
  };
  const done = () => {
    outstanding--;
    if (stopping && outstanding === 0) stopping();
  };
  const tick = setInterval(() => {
    const due = Math.floor(((Date.now() - started) / 1000) * rate);
    while (result.sent < due) fire();
  }, 5);
  return {
    result,
    stop: () => {
      clearInterval(tick);
      return new Promise<LoadResult>((resolve) => {
        stopping = () => {
          agent.destroy();
          resolve(result);
        };
        if (outstanding === 0) stopping();
      });
    },
  };
}

export interface Relay {
  port: number;
  /** Closes the port and every relayed connection: the database is gone for everyone behind the relay. */
  cut(): Promise<void>;
  /** Listens on the same port again. */
  restore(): Promise<void>;
}

/** A TCP relay on 127.0.0.1 (a free port) to 127.0.0.1:`target`, owned by the test: a dependency it can take away. */
export async function relay(t: { teardown(fn: () => unknown): void }, target: number): Promise<Relay> {
  const sockets = new Set<Socket>();
  const make = (): Server =>
    createServer((client) => {
      const upstream = connect(target, '127.0.0.1');
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
  let server = make();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const cut = async () => {
    const closed = new Promise((r) => server.close(r));
    for (const s of sockets) s.destroy();
    await closed;
  };
  t.teardown(cut);
  return {
    port,
    cut,
    restore: async () => {
      server = make();
      await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    },
  };
}

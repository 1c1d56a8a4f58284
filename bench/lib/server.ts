// Starts one benchmark server (a child process, pinned), checks its answer, reads its memory, stops it.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { pinned, track } from './proc.js';

/** How to start a server: its file under bench/servers, its arguments, extra node flags, the core to pin it to. */
export interface ServerSpec {
  readonly file: string;
  readonly args: readonly string[];
  readonly nodeArgs?: readonly string[];
  readonly core: number | undefined;
  /** Bound on the time from spawn to the `listening` message. Default 20 s. */
  readonly startTimeoutMs?: number;
}

/** A running server. */
export interface ServerHandle {
  readonly pid: number;
  readonly port: number;
  readonly child: ChildProcess;
  /** The server's resident set size now, in kB, from /proc/<pid>/status (VmRSS). */
  rssKb(): number;
  /** Asks the server for its memory use after a forced GC (needs `--expose-gc`). Bounded by 10 s. */
  memory(): Promise<MemoryReport>;
  /** SIGTERM, then SIGKILL after 3 s; resolves once the process is gone. */
  stop(): Promise<void>;
}

/** What a server answers to `{type: 'mem'}`. */
export interface MemoryReport {
  readonly gc: boolean;
  readonly memory: NodeJS.MemoryUsage;
  readonly runStats: { started: number; aborted: number; settledLate: number };
}

/** The server did not start; `output` is the tail of its stderr. */
export class ServerStartError extends Error {
  override name = 'ServerStartError';
  readonly code = 'BENCH_ERR_SERVER_START';
}

/** A free loopback port (the kernel picks it; the tiny window before the server binds it is accepted). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Reads VmRSS of a process in kB (0 when the process is gone). */
export function readRssKb(pid: number): number {
  try {
    const m = /^VmRSS:\s+([0-9]+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Spawns `node --import tsx bench/servers/<file> --port <port> ...args` and waits for its `listening` message.
 * @throws ServerStartError when it exits, or does not listen within the bound; the message carries its stderr.
 */
export async function startServer(spec: ServerSpec): Promise<ServerHandle> {
  const port = await freePort();
  const script = `bench/servers/${spec.file}`;
  const nodeArgs = [...(spec.nodeArgs ?? []), '--import', 'tsx', script, '--port', String(port), ...spec.args];
  const [cmd, args] = pinned(spec.core, process.execPath, nodeArgs);
  const child = track(spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] }));
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  await new Promise<void>((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new ServerStartError(`${[script, ...spec.args].join(' ')}: ${why}\n${stderr.trim()}`));
    };
    const timer = setTimeout(() => fail('did not listen in time'), spec.startTimeoutMs ?? 20_000);
    child.once('exit', (code, signal) => fail(`exited (${signal ?? code}) before listening`));
    child.on('message', (msg: { type?: string }) => {
      if (msg?.type !== 'listening') return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve();
    });
  });
  const pid = child.pid as number;
  return {
    pid,
    port,
    child,
    rssKb: () => readRssKb(pid),
    memory: () =>
      new Promise<MemoryReport>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${script}: no memory report within 10 s`)), 10_000);
        const onMessage = (msg: { type?: string } & MemoryReport) => {
          if (msg?.type !== 'mem') return;
          clearTimeout(timer);
          child.off('message', onMessage);
          resolve(msg);
        };
        child.on('message', onMessage);
        child.send({ type: 'mem' });
      }),
    stop: async () => {
      const gone = exited(child);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** One answer: status, body length in bytes, the body. */
export interface Answer {
  readonly status: number;
  readonly bytes: number;
  readonly body: string;
}

/** One GET on loopback with headers, bounded by 2 s. */
export function fetchOnce(url: string, headers: Readonly<Record<string, string>>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = get(url, { headers, timeout: 2000, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, bytes: buf.length, body: buf.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within 2 s`)));
    req.on('error', reject);
  });
}

/**
 * Polls (every 100 ms, at most `timeoutMs`) until the URL answers `status`: the probekit servers answer 503 until
 * their first check runs complete. Resolves with the last answer, whatever it was; the caller judges it.
 */
export async function waitForStatus(
  url: string,
  headers: Readonly<Record<string, string>>,
  status: number,
  timeoutMs: number,
): Promise<Answer | Error> {
  const deadline = Date.now() + timeoutMs;
  let last: Answer | Error = new Error(`GET ${url}: no answer`);
  while (Date.now() < deadline) {
    try {
      last = await fetchOnce(url, headers);
      if (last.status === status) return last;
    } catch (err) {
      last = err as Error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return last;
}

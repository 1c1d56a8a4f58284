// Starts test/grpc/fixture-app.ts in a child process (tsx), reads its JSON log lines, waits for them (bounded).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { ROOT } from '../shutdown/proc.js';

export interface LogLine {
  msg?: string;
  [key: string]: unknown;
}

export interface Child {
  child: ChildProcess;
  grpcPort: number;
  httpPort: number | undefined;
  lines: LogLine[];
  /** Resolves with the first log line matching, or rejects after `ms`. */
  waitFor(pred: (l: LogLine) => boolean, ms: number): Promise<LogLine>;
  /** Resolves with the exit code (or signal name) and the time of the exit, or rejects after `ms`. */
  exited(ms: number): Promise<{ code: number | string; at: number }>;
  kill(): void;
}

/** Starts the fixture with `env` and waits (up to 30 s: tsx compiles on start) for its `fixture listening` line. */
export async function startFixture(env: Record<string, string>): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/grpc/fixture-app.ts'], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const stderr: string[] = [];
  const waiters = new Set<{ pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }>();
  let buf = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk;
    for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
      const raw = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let line: LogLine;
      try {
        line = JSON.parse(raw) as LogLine;
      } catch {
        line = { msg: raw };
      }
      lines.push(line);
      for (const w of waiters) {
        if (!w.pred(line)) continue;
        waiters.delete(w);
        w.resolve(line);
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => stderr.push(c));
  const exit = once(child, 'exit').then(([code, sig]) => ({ code: (code as number | null) ?? (sig as string), at: Date.now() }));
  const bounded = <T>(p: Promise<T>, ms: number, what: string) =>
    Promise.race([
      p,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`${what} within ${ms} ms; stderr: ${stderr.join('')}`)), ms).unref(),
      ),
    ]);
  const waitFor = (pred: (l: LogLine) => boolean, ms: number) => {
    const found = lines.find(pred);
    if (found) return Promise.resolve(found);
    return bounded(new Promise<LogLine>((resolve) => waiters.add({ pred, resolve })), ms, 'no matching log line');
  };
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  try {
    const ready = await waitFor((l) => l.msg === 'fixture listening', 30_000);
    return {
      child,
      grpcPort: ready.grpcPort as number,
      httpPort: ready.httpPort as number | undefined,
      lines,
      waitFor,
      exited: (ms) => bounded(exit, ms, 'the process did not exit'),
      kill,
    };
  } catch (err) {
    kill();
    throw err;
  }
}

// Child-process helpers for the shutdown tests: start an app, read its JSON log lines, wait for them (bounded).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface LogLine {
  time?: number;
  msg?: string;
  [key: string]: unknown;
}

export interface App {
  child: ChildProcess;
  port: number;
  lines: LogLine[];
  stderr: string[];
  /** Resolves with the first log line matching, or rejects after `ms`. */
  waitFor(pred: (l: LogLine) => boolean, ms: number): Promise<LogLine>;
  /** Resolves with the exit code (or signal name), or rejects after `ms`. */
  exited(ms: number): Promise<number | string>;
  kill(): void;
}

/** A free loopback port (bound, then released). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  srv.close();
  await once(srv, 'close');
  return port;
}

/** Starts `script` (a .ts file, relative to the repo root) with tsx, PORT set, and waits until it answers HTTP. */
export async function startApp(script: string, env: Record<string, string>, readyPath = '/live'): Promise<App> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const stderr: string[] = [];
  const waiters: { pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  let buf = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk;
    let nl = buf.indexOf('\n');
    while (nl !== -1) {
      const raw = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      nl = buf.indexOf('\n');
      let line: LogLine;
      try {
        line = JSON.parse(raw) as LogLine;
      } catch {
        line = { msg: raw };
      }
      line.seenAt = Date.now();
      lines.push(line);
      for (const w of waiters.splice(0)) {
        if (w.pred(line)) w.resolve(line);
        else waiters.push(w);
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => stderr.push(c));
  let exit: Promise<number | string> | undefined;
  const exitPromise = () => {
    exit ??=
      child.exitCode !== null || child.signalCode !== null
        ? Promise.resolve(child.exitCode ?? (child.signalCode as string))
        : once(child, 'exit').then(([code, sig]) => (code as number | null) ?? (sig as string));
    return exit;
  };
  exitPromise();
  const app: App = {
    child,
    port,
    lines,
    stderr,
    waitFor(pred, ms) {
      const found = lines.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no matching log line within ${ms} ms; stderr: ${stderr.join('')}`)), ms);
        waiters.push({
          pred,
          resolve: (l) => {
            clearTimeout(t);
            resolve(l);
          },
        });
      });
    },
    exited(ms) {
      return Promise.race([
        exitPromise(),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`process did not exit within ${ms} ms`)), ms).unref(),
        ),
      ]);
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
  // Bounded polling until the app answers (tsx compiles on start: allow 30 s on a busy 2-core machine).
  const until = Date.now() + 30_000;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}${readyPath}`);
      await res.arrayBuffer();
      break;
    } catch (err) {
      if (Date.now() > until || child.exitCode !== null) {
        app.kill();
        throw new Error(`${script} did not start: ${String(err)}; stderr: ${stderr.join('')}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return app;
}

/** GET with a fresh connection; resolves status and body, never rejects (status 0 = connection error). */
export async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { connection: 'close' } });
    return { status: res.status, body: await res.text() };
  } catch (err) {
    return { status: 0, body: String(err) };
  }
}

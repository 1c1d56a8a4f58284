// A test fixture run in a child process of its own (tsx), which prints one JSON object a line on stdout, each with
// an `event`: the lines as they come, a bounded wait for an event, and the exit code.
import { type ChildProcess, spawn } from 'node:child_process';
import { ROOT } from '../shutdown/proc.js';

/** A running fixture. */
export interface Child {
  child: ChildProcess;
  /** Every line printed so far, parsed. */
  lines: Record<string, unknown>[];
  /** The first line whose `event` is `event`; rejects after `ms` (default 10 s). */
  next(event: string, ms?: number): Promise<Record<string, unknown>>;
  /** The exit code (null after a signal). */
  exit: Promise<number | null>;
}

/** Starts `script` (relative to the repository root) with `env` added to this process's; stderr is passed through. */
export function startChild(script: string, env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Record<string, unknown>[] = [];
  let buf = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => {
    buf += c;
    for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
      lines.push(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
      buf = buf.slice(nl + 1);
    }
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const next = async (event: string, ms = 10_000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = lines.find((l) => l.event === event);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no '${event}' line within ${ms} ms: ${JSON.stringify(lines)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { child, lines, next, exit };
}

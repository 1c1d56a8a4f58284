// Runs the built `probekit` executable (dist/src/cli/probekit.cjs, the bundled bin) as a real process, the way an exec probe does.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MAIN = join(ROOT, 'dist/src/cli/probekit.cjs');

/** The environment of the child: without the test runner's NODE_OPTIONS (its loaders slow start-up and catch signals). */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  return env;
}

/** Builds with tsc when dist/src/cli is missing or older than src/cli (`npm test` has built already). */
export function ensureBuilt(): void {
  const src = join(ROOT, 'src/cli');
  const newest = Math.max(...readdirSync(src).map((f) => statSync(join(src, f)).mtimeMs));
  let built = 0;
  try {
    built = statSync(MAIN).mtimeMs;
  } catch {
    // Not built yet.
  }
  if (built >= newest) return;
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
  } catch (err) {
    // tsc still writes its output when another part of the tree has a type error: fine, if ours is fresh now.
    if (statSync(MAIN).mtimeMs < newest) throw err;
  }
}

/**
 * A generous `--timeout` for probes whose deadline is not what the test is about: the machine is shared (2 cores,
 * other suites running) and a TLS handshake can take longer than the default 1 s there. An explicit `--timeout`
 * later in the arguments wins (the last value of a flag counts).
 */
export const SLACK = ['--timeout', '5s'] as const;

/** A finished run. */
export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  ms: number;
}

/** Options of {@link runCli}. */
export interface RunOptions {
  env?: Record<string, string>;
  /** SIGKILL after this many ms (a hung CLI fails the test instead of the run). Default 15000. */
  killAfter?: number;
}

/** Starts the CLI with pipes on stdout and stderr. */
export function spawnCli(args: readonly string[], options: RunOptions = {}): ChildProcess {
  return spawn(process.execPath, [MAIN, ...args], { env: childEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Collects a spawned CLI's output until it exits. */
export function finished(child: ChildProcess, killAfter = 15_000): Promise<CliRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfter);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** Runs the CLI to its end. */
export function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliRun> {
  return finished(spawnCli(args, options), options.killAfter);
}

// Test-side access to the real servers that test/services/*.sh install and
// run on loopback ports of their own (see test/services/README.md).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type ServerName = 'mariadb' | 'redis' | 'postgres' | 'kafka';
/** Servers plus haproxy, which is only installed (tests run their own). */
export type ServiceName = ServerName | 'haproxy';

export const SERVICES = {
  mariadb: {
    host: '127.0.0.1',
    port: 13306,
    user: 'probekit',
    password: 'probekit',
    database: 'probekit',
  },
  redis: { host: '127.0.0.1', port: 16379 },
  postgres: {
    host: '127.0.0.1',
    port: 15432,
    user: 'probekit',
    password: 'probekit',
    database: 'probekit',
  },
  kafka: { brokers: ['127.0.0.1:19092'] },
} as const;

export const ALL_SERVERS: readonly ServerName[] = ['mariadb', 'redis', 'postgres', 'kafka'];

/** up.sh's exit code for "these servers cannot be had on this machine". */
const EXIT_UNAVAILABLE = 3;

const dir = fileURLToPath(new URL('.', import.meta.url));
const script = (name: string): string => `${dir}${name}`;

export type EnsureResult = { ok: true } | { ok: false; reason: string };

class ScriptError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
  ) {
    super(message);
    this.name = 'ScriptError';
  }
}

function lastLine(text: string): string {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return lines.at(-1) ?? '';
}

// The scripts run node (kafka-ready.mjs) while polling; under tap the
// environment carries NODE_OPTIONS/_TAPJS_* that would load tap's process-info
// and coverage hooks into every poll and count the helper in the coverage.
function scriptEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'NODE_OPTIONS' || key === 'NODE_V8_COVERAGE' || key.startsWith('_TAPJS_')) continue;
    env[key] = value;
  }
  return env;
}

function run(file: string, args: string[], timeoutMs: number): Promise<string> {
  const options = { env: scriptEnv(), timeout: timeoutMs, killSignal: 'SIGKILL' as const, maxBuffer: 16 * 1024 * 1024 };
  return new Promise((resolve, reject) => {
    execFile(file, args, options, (err, stdout, stderr) => {
      if (!err) {
        resolve(stdout);
        return;
      }
      const cmd = `${file.slice(dir.length)} ${args.join(' ')}`;
      const exitCode = typeof err.code === 'number' ? err.code : null;
      const why = err.killed && exitCode === null ? `timed out after ${timeoutMs / 1000}s` : lastLine(stderr) || err.message;
      reject(new ScriptError(`${cmd}: ${why}`, exitCode));
    });
  });
}

// First run installs packages and downloads Kafka: minutes, not seconds.
const UP_TIMEOUT_MS = 15 * 60_000;
const SVC_TIMEOUT_MS = 3 * 60_000;

const ensured = new Map<ServiceName, Promise<EnsureResult>>();

/**
 * Installs (if needed) and starts the named services and waits until they
 * answer. Resolves `{ ok: false, reason }` when the servers cannot be had on
 * this machine (up.sh exit 3); rejects on any other failure. Memoized per
 * process and name; stop/kill/pause forget the memo for that name.
 */
export function ensureServices(names: readonly ServiceName[]): Promise<EnsureResult> {
  const todo = [...new Set(names)].filter((n) => !ensured.has(n));
  if (todo.length > 0) {
    const result = run(script('up.sh'), todo, UP_TIMEOUT_MS).then(
      (): EnsureResult => ({ ok: true }),
      (err: unknown): EnsureResult => {
        if (err instanceof ScriptError && err.exitCode === EXIT_UNAVAILABLE) {
          return { ok: false, reason: err.message };
        }
        throw err;
      },
    );
    for (const n of todo) {
      ensured.set(n, result);
      // A failed attempt is not remembered, so a later call tries again.
      result.catch(() => ensured.delete(n));
    }
  }
  return Promise.all(names.map((n) => ensured.get(n) as Promise<EnsureResult>)).then(
    (results) => results.find((r) => !r.ok) ?? { ok: true },
  );
}

/**
 * undefined when the services are up; otherwise a one-line reason to skip
 * integration tests. Under CI=true a missing server is an error instead.
 */
export async function skipReason(names: readonly ServiceName[]): Promise<string | undefined> {
  const result = await ensureServices(names);
  if (result.ok) return undefined;
  if (process.env.CI === 'true') {
    throw new Error(`integration servers unavailable under CI: ${result.reason}`);
  }
  return `integration servers unavailable: ${result.reason}`;
}

async function svc(command: string, name: ServerName): Promise<string> {
  if (command === 'stop' || command === 'kill' || command === 'pause') ensured.delete(name);
  return (await run(script('svc.sh'), [command, name], SVC_TIMEOUT_MS)).trim();
}

/** Graceful stop (data kept). */
export async function stopService(name: ServerName): Promise<void> {
  await svc('stop', name);
}

/** Starts (or resumes) the server and waits until it answers. */
export async function startService(name: ServerName): Promise<void> {
  await svc('start', name);
}

/** SIGKILL to the server's whole process group: a crash. */
export async function killService(name: ServerName): Promise<void> {
  await svc('kill', name);
}

/** SIGSTOP: the port stays open but nothing answers (a hung server). */
export async function pauseService(name: ServerName): Promise<void> {
  await svc('pause', name);
}

/** SIGCONT after pauseService. */
export async function resumeService(name: ServerName): Promise<void> {
  await svc('resume', name);
}

/** PID of the running server; rejects when it is not running. */
export async function servicePid(name: ServerName): Promise<number> {
  return Number(await svc('pid', name));
}

/** running | paused | unresponsive | stopped */
export async function serviceStatus(name: ServerName): Promise<'running' | 'paused' | 'unresponsive' | 'stopped'> {
  return (await svc('status', name)) as 'running' | 'paused' | 'unresponsive' | 'stopped';
}

/** Absolute path of the haproxy binary, installing haproxy first if needed. */
export async function haproxyBinary(): Promise<string> {
  return (await run(script('svc.sh'), ['bin', 'haproxy'], UP_TIMEOUT_MS)).trim();
}

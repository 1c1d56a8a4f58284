import { spawn } from 'node:child_process';
import { defineCheck, factoryOptions } from '../src/core/define.js';
import { CheckFailedError, InvalidOptionError, showValue } from '../src/core/errors.js';
import { sanitizeText } from '../src/core/sanitize.js';
import type { Check, CheckOptions } from '../src/core/types.js';

/** Options of {@link commandCheck}. */
export interface CommandCheckOptions extends CheckOptions {
  /** The program to run: a path or a name looked up in `PATH`. It is run directly, never through a shell. */
  command: string;
  /** Its arguments. Default none. */
  args?: readonly string[];
  /** Working directory. Default the process's. */
  cwd?: string;
  /** Environment. Default the process's (`process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Check name. Default `command`. */
  name?: string;
}

// Only the first line is ever shown; a few KiB is plenty to find it and bounds memory for a chatty program.
const MAX_STDERR = 4096;
// Process groups exist on POSIX only; on Windows `detached` means "no console", which is not what we want.
const USE_GROUP = process.platform !== 'win32';

function firstLine(text: string): string {
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed.length > 0) return sanitizeText(trimmed);
  }
  return '';
}

function validate(options: CommandCheckOptions): void {
  const { command, args, cwd, env } = options ?? ({} as CommandCheckOptions);
  if (typeof command !== 'string' || command.length === 0) {
    throw new InvalidOptionError(`commandCheck(): Expected \`command\` to be a non-empty string, got \`${showValue(command)}\``);
  }
  if (args !== undefined && (!Array.isArray(args) || !args.every((a) => typeof a === 'string'))) {
    throw new InvalidOptionError('commandCheck(): Expected `args` to be an array of strings');
  }
  if (cwd !== undefined && (typeof cwd !== 'string' || cwd.length === 0)) {
    throw new InvalidOptionError(`commandCheck(): Expected \`cwd\` to be a non-empty string, got \`${showValue(cwd)}\``);
  }
  if (env !== undefined && (env === null || typeof env !== 'object' || Array.isArray(env))) {
    throw new InvalidOptionError('commandCheck(): Expected `env` to be an object of strings');
  }
}

/**
 * Runs a program (with `child_process.spawn`, no shell) and passes when it exits with code 0.
 * On timeout (or when the registry stops) the process is killed with SIGKILL, together with its whole process group
 * on POSIX (it is started as a group leader), so that children it spawned die with it.
 * A failure reads `exit code N: <first line of stderr>` (sanitised), or `killed by SIGNAL`. Stdout is discarded.
 * @throws InvalidOptionError for a missing `command` or malformed `args`, `cwd` or `env`.
 */
export function commandCheck(options: CommandCheckOptions): Check {
  factoryOptions('commandCheck', options, ['command', 'args', 'cwd', 'env']);
  validate(options);
  const command = options.command;
  const args = [...(options.args ?? [])];
  const spawnOptions = {
    stdio: ['ignore', 'ignore', 'pipe'] as ['ignore', 'ignore', 'pipe'],
    detached: USE_GROUP,
    windowsHide: true,
    ...(options.cwd !== undefined && { cwd: options.cwd }),
    ...(options.env !== undefined && { env: { ...options.env } }),
  };
  return defineCheck(
    'commandCheck',
    options,
    { name: 'command', dependency: true },
    {
      run(signal) {
        if (signal.aborted) return Promise.reject(signal.reason);
        return new Promise<void>((resolve, reject) => {
          const child = spawn(command, args, spawnOptions);
          let stderr = '';
          let exited = false;
          let settled = false;
          child.stderr.setEncoding('utf8');
          child.stderr.on('data', (chunk: string) => {
            if (stderr.length < MAX_STDERR) stderr += chunk;
          });
          const kill = () => {
            if (child.pid === undefined) return;
            if (USE_GROUP) {
              // The group, not just the leader: it may have exited already while a child of it still holds stderr.
              try {
                process.kill(-child.pid, 'SIGKILL');
                return;
              } catch {
                // ESRCH: the group is gone; fall through for the leader itself.
              }
            }
            if (!exited) child.kill('SIGKILL');
          };
          const finish = (err?: Error) => {
            if (settled) return;
            settled = true;
            signal.removeEventListener('abort', onAbort);
            child.stderr.destroy();
            if (err) reject(err);
            else resolve();
          };
          const onAbort = () => {
            kill();
            finish(signal.reason instanceof Error ? signal.reason : new CheckFailedError('aborted'));
          };
          signal.addEventListener('abort', onAbort, { once: true });
          // `error` is a failed spawn (ENOENT, EACCES): no process ran, so nothing to kill.
          child.once('error', (err) => finish(err));
          child.once('exit', (code, sig) => {
            exited = true;
            if (code === 0) return finish();
            // Wait for stderr to be fully read before describing the failure; a grandchild that keeps stderr open
            // can delay this, and then the check's timeout (which kills the group) settles the run.
            const describe = () => {
              const line = firstLine(stderr);
              const what = code !== null ? `exit code ${code}` : `killed by ${sig ?? 'a signal'}`;
              finish(new CheckFailedError(line.length > 0 ? `${what}: ${line}` : what));
            };
            if (child.stderr.readableEnded) describe();
            else child.stderr.once('close', describe);
          });
        });
      },
    },
  );
}

// Drives a command in a real terminal: a detached tmux session on a tmux server of its own (-L), so that the test
// can type keys, read the screen, resize it, and kill exactly what it started.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

/** True when the tmux binary can be run. */
export function haveTmux(): boolean {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function quote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

let sessions = 0;

/** One terminal with one command in it. */
export class Terminal {
  /** The tmux server's socket name: unique per process and terminal. */
  readonly socket = `probekit-cli-test-${process.pid}-${++sessions}`;

  /**
   * Starts `argv` in a detached session of `width` x `height`, with `env` set for it. The shell writes the
   * command's exit code to `exitFile` when it ends.
   */
  constructor(
    argv: readonly string[],
    options: { width: number; height: number; env?: Record<string, string>; exitFile: string },
  ) {
    const env = Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${quote(v)}`);
    // The test runner's own settings stay out: its NODE_OPTIONS (loaders) and its colour switches.
    const unset = ['NODE_OPTIONS', 'NO_COLOR', 'FORCE_COLOR'].flatMap((name) => ['-u', name]);
    const command = `env ${[...unset, ...env].join(' ')} ${argv.map(quote).join(' ')}; echo $? > ${quote(options.exitFile)}`;
    this.tmux(['new-session', '-d', '-s', 'cli', '-x', String(options.width), '-y', String(options.height), command]);
    this.socketPath = this.tmux(['display-message', '-p', '-t', 'cli', '#{socket_path}']).trim();
  }

  /** Where tmux put its socket (it does not always remove it when its server ends). */
  private readonly socketPath: string;

  private tmux(args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  }

  /** The screen as text; with `escapes`, with its colour and style sequences. */
  capture(escapes = false): string {
    try {
      return this.tmux(['capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', 'cli']);
    } catch {
      return ''; // The session has ended.
    }
  }

  /** Types keys (tmux key names: `q`, `C-c`). */
  keys(...keys: string[]): void {
    this.tmux(['send-keys', '-t', 'cli', ...keys]);
  }

  resize(width: number, height: number): void {
    this.tmux(['resize-window', '-t', 'cli', '-x', String(width), '-y', String(height)]);
  }

  /** True while the session (and so the command) runs. */
  alive(): boolean {
    try {
      this.tmux(['has-session', '-t', 'cli']);
      return true;
    } catch {
      return false;
    }
  }

  /** Kills this terminal's tmux server and whatever still runs in it, and removes its socket. Idempotent. */
  kill(): void {
    try {
      this.tmux(['kill-server']);
    } catch {
      // Already gone.
    }
    if (this.socketPath !== '') rmSync(this.socketPath, { force: true });
  }
}

import type { ShutdownResult } from './shutdown.js';

/** A registry's side of the process-wide signal handling. */
export interface ShutdownParticipant {
  /** Signals it wants to shut down on (empty when its sequence is off). */
  readonly signals: readonly NodeJS.Signals[];
  /** It wants the process to exit once every sequence has ended. */
  readonly exit: boolean;
  readonly logger: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
  /** Starts its sequence (or returns the one under way). */
  shutdown(trigger: string): Promise<ShutdownResult>;
}

/** How long the exit waits for writes in flight (log lines) to complete or fail; see `ProcessShutdown.exit`. */
const SETTLE_MS = 100;

/**
 * Signals are a property of the process, not of a registry: with two registries (a public and an admin app) each
 * handling SIGTERM on its own, the first to finish would call `process.exit` and cut the other's cleanup short.
 * So one coordinator per process listens once per signal, starts every registry's sequence at the same moment
 * (all readiness fails at once), and exits once, when the last sequence has ended, with the worst code.
 *
 * There is one shutdown per process, however it starts: a signal that comes while sequences run (started by
 * `health.shutdown()`, or by another signal that other registries listen for) joins them, and starts the sequences
 * of the registries listening for it that have not started. Only a signal with nothing left to start, one that
 * every registry listening for it already got, is a second signal, which exits at once.
 */
export class ProcessShutdown {
  private readonly members = new Set<ShutdownParticipant>();
  private readonly runs = new Map<ShutdownParticipant, { done: boolean; code: number }>();
  /** The registries a signal has reached in the shutdown under way (cleared with `runs`). */
  private readonly signalled = new Set<ShutdownParticipant>();
  private readonly listening = new Map<NodeJS.Signals, (signal: NodeJS.Signals) => void>();
  private exiting = false;

  /** Listens for `p`'s signals from now on. */
  join(p: ShutdownParticipant): void {
    this.members.add(p);
    this.relisten();
  }

  /** Stops listening for `p` (its signals stay trapped while a sequence is under way: a second signal must still exit). */
  leave(p: ShutdownParticipant): void {
    this.members.delete(p);
    this.relisten();
  }

  /** Follows a sequence that started (by a signal or by `health.shutdown()`), to exit once all are over. */
  follow(p: ShutdownParticipant, sequence: Promise<ShutdownResult>): void {
    if (this.runs.has(p)) return;
    const run = { done: false, code: 0 };
    this.runs.set(p, run);
    const settle = (code: number) => {
      run.done = true;
      run.code = code;
      this.maybeExit();
      this.relisten();
    };
    sequence.then(
      (r) => settle(r.code),
      () => settle(1),
    );
  }

  private inProgress(): boolean {
    for (const run of this.runs.values()) if (!run.done) return true;
    return false;
  }

  private onSignal(signal: NodeJS.Signals): void {
    const running = this.inProgress();
    const listeners = new Set<ShutdownParticipant>();
    for (const p of this.members) if (p.signals.includes(signal)) listeners.add(p);
    // A registry that left (its app closed) while its sequence runs still hears its signals.
    for (const p of this.runs.keys()) if (p.signals.includes(signal)) listeners.add(p);
    const fresh = [...listeners].filter((p) => !this.signalled.has(p));
    if (running && fresh.length === 0) {
      const wantsExit = [...this.runs.keys()].some((p) => p.exit);
      for (const p of this.runs.keys()) p.logger.warn({ signal }, 'probekit: second signal during shutdown, exiting now');
      if (wantsExit) this.exit(1);
      return;
    }
    // Every registry starts now, in the same tick: all readiness fails before any drain begins. One already under
    // way (from `health.shutdown()`) is joined: `shutdown()` returns its sequence, and this signal is not a second one.
    for (const p of fresh) {
      this.signalled.add(p);
      if (this.runs.has(p)) p.logger.info({ signal }, 'probekit: signal joins the shutdown under way');
      void p.shutdown(signal);
    }
  }

  private maybeExit(): void {
    if (this.inProgress()) return;
    let code = 0;
    let wantsExit = false;
    for (const [p, run] of this.runs) {
      code = Math.max(code, run.code);
      wantsExit ||= p.exit;
    }
    if (wantsExit) this.exit(code);
    // Nobody exits (`exit: false`, tests): the wave is over and forgotten.
    else {
      this.runs.clear();
      this.signalled.clear();
    }
  }

  /**
   * Exits with `code`, after {@link SETTLE_MS}. `process.exit()` runs the `exit` handlers and nothing else: a write
   * still in flight never completes, and an asynchronous pino destination (pino's default on stdout, so Fastify's
   * `logger: true`) then flushes its buffer there with sonic-boom's `flushSync()`, which retries a failed write
   * forever, EPIPE included. When stdout's reader is gone that is a hang, not an exit. Letting the event loop turn
   * for a moment first lets the write in flight fail: pino then turns the stream into a no-op, and the exit is
   * clean. The timer is unref'd (if nothing else is left, the process ends on its own, with `exitCode` already set).
   */
  private exit(code: number): void {
    if (this.exiting) return;
    this.exiting = true;
    process.exitCode = code;
    setTimeout(() => process.exit(code), SETTLE_MS).unref();
  }

  /** Keeps exactly one listener per signal that a member, or a sequence under way, still needs. */
  private relisten(): void {
    const wanted = new Set<NodeJS.Signals>();
    for (const p of this.members) for (const s of p.signals) wanted.add(s);
    if (this.inProgress()) for (const p of this.runs.keys()) for (const s of p.signals) wanted.add(s);
    for (const [signal, listener] of this.listening) {
      if (wanted.has(signal)) continue;
      process.removeListener(signal, listener);
      this.listening.delete(signal);
    }
    for (const signal of wanted) {
      if (this.listening.has(signal)) continue;
      const listener = (s: NodeJS.Signals) => this.onSignal(s);
      process.on(signal, listener);
      this.listening.set(signal, listener);
    }
  }
}

// Shared through the process object, so that two copies of probekit in one process (two versions in
// node_modules) still coordinate. The shape of ProcessShutdown is the contract between them.
const KEY = Symbol.for('probekit.process-shutdown.v1');

/** The process-wide coordinator. */
export function processShutdown(): ProcessShutdown {
  const holder = process as unknown as Record<symbol, ProcessShutdown | undefined>;
  holder[KEY] ??= new ProcessShutdown();
  return holder[KEY];
}

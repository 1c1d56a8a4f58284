import { runBounded } from './bounded.js';
import type { DrainTarget } from './drain-target.js';
import { InvalidOptionError, showValue } from './errors.js';
import type { SafeLogger } from './logger.js';
import { processShutdown, type ShutdownParticipant } from './process-shutdown.js';
import { type NormalizedShutdown, runShutdown, type ShutdownResult } from './shutdown.js';
import type { Timers } from './types.js';

interface Hook {
  readonly name: string;
  readonly fn: () => unknown;
}

/** What the lifecycle needs from the registry it belongs to. */
export interface LifecycleHost {
  /** Readiness fails from now on; `trigger` is the signal name or `manual`. */
  markShuttingDown(trigger: string): void;
  /** Stops the checks and runs their close hooks. */
  stopChecks(): Promise<void>;
}

function removeFrom<T>(list: T[], item: T): () => void {
  return () => {
    const i = list.indexOf(item);
    if (i !== -1) list.splice(i, 1);
  };
}

/**
 * One registry's part of the process lifecycle: its drain targets, its cleanup hooks (run once, whether the signal
 * sequence or the app's own `close()` gets there first), the framework closers, and its one shutdown sequence.
 * Signals themselves belong to the process-wide coordinator.
 */
export class Lifecycle implements ShutdownParticipant {
  private readonly hooks: Hook[] = [];
  private readonly closers: Hook[] = [];
  private readonly drainTargets: DrainTarget[] = [];
  private sequence: Promise<ShutdownResult> | null = null;
  private hooksRun: Promise<boolean> | null = null;
  private trapped = false;
  private current: string | undefined;

  constructor(
    private readonly cfg: NormalizedShutdown,
    readonly logger: SafeLogger,
    private readonly timers: Timers,
    private readonly host: LifecycleHost,
  ) {}

  get signals(): readonly NodeJS.Signals[] {
    return this.cfg.enabled ? this.cfg.signals : [];
  }

  get exit(): boolean {
    return this.cfg.exit;
  }

  /** True once the sequence began. */
  get inProgress(): boolean {
    return this.sequence !== null;
  }

  /** Starts listening for the signals (through the process-wide coordinator). Idempotent. */
  trap(): void {
    if (!this.cfg.enabled || this.trapped) return;
    this.trapped = true;
    processShutdown().join(this);
  }

  /** Stops listening. A sequence under way keeps the process' listeners until it ends. */
  release(): void {
    if (!this.trapped) return;
    this.trapped = false;
    processShutdown().leave(this);
  }

  addHook(fn: () => unknown, name: string | undefined): void {
    if (typeof fn !== 'function') {
      throw new InvalidOptionError(`Expected the hook given to \`onShutdown(fn)\` to be a function, got \`${showValue(fn)}\``);
    }
    if (name !== undefined && typeof name !== 'string') {
      throw new InvalidOptionError(`Expected the hook's \`name\` to be a string, got \`${String(name)}\``);
    }
    this.hooks.push({ name: name ?? (fn.name || `#${this.hooks.length + 1}`), fn });
  }

  /** A framework's own close (`app.close()`), run after the cleanup hooks. Returns a function that removes it. */
  addCloser(fn: () => unknown, name: string): () => void {
    const closer = { name, fn };
    this.closers.push(closer);
    return removeFrom(this.closers, closer);
  }

  addTarget(target: DrainTarget): () => void {
    const ok =
      target !== null &&
      typeof target === 'object' &&
      typeof target.drain === 'function' &&
      typeof target.destroy === 'function' &&
      typeof target.openWork === 'function';
    if (!ok) {
      throw new InvalidOptionError(
        `Expected \`addDrainTarget(target)\` to get an object with drain(), destroy() and openWork(), got \`${showValue(target)}\``,
      );
    }
    this.drainTargets.push(target);
    return removeFrom(this.drainTargets, target);
  }

  get targets(): readonly DrainTarget[] {
    return this.drainTargets;
  }

  /** Runs the sequence once; later calls get the same promise. The process exits (if asked) when every registry's ended. */
  shutdown(trigger: string): Promise<ShutdownResult> {
    if (this.sequence) return this.sequence;
    const sequence = runShutdown(
      {
        logger: this.logger,
        timers: this.timers,
        markShuttingDown: () => this.host.markShuttingDown(trigger),
        targets: () => [...this.drainTargets],
        runHooks: (limit) => this.runHooks(limit),
        runClosers: (limit) => this.runList([...this.closers].reverse(), 'framework close', limit),
        stopChecks: () => this.host.stopChecks(),
        running: () => this.current,
      },
      this.cfg,
      trigger,
    );
    this.sequence = sequence;
    processShutdown().follow(this, sequence);
    return sequence;
  }

  /**
   * Runs the cleanup hooks once, in reverse order of registration, each bounded; resolves false if one failed or
   * hung. The signal sequence and the app's own close share this run: the hooks never run twice.
   */
  runHooks(limit: () => number = () => this.cfg.hookTimeout): Promise<boolean> {
    this.hooksRun ??= this.runList([...this.hooks].reverse(), 'shutdown hook', limit);
    return this.hooksRun;
  }

  private async runList(list: readonly Hook[], kind: string, limit: () => number): Promise<boolean> {
    let ok = true;
    for (const hook of list) {
      this.current = `${kind} ${hook.name}`;
      if (!(await runBounded(this.logger, this.timers, this.current, hook.fn, limit()))) ok = false;
    }
    this.current = undefined;
    return ok;
  }
}

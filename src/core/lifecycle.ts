import { AsyncLocalStorage } from 'node:async_hooks';
import { runBounded } from './bounded.js';
import type { SafeLogger } from './logger.js';
import { CLOSE_PHASES, type ClosePhase, type Participant } from './participant.js';
import { processShutdown, type ShutdownParticipant } from './process-shutdown.js';
import { type NormalizedShutdown, runShutdown, type ShutdownResult } from './shutdown.js';
import type { Timers } from './types.js';

/** What the lifecycle needs from the registry it belongs to. */
export interface LifecycleHost {
  /** Readiness fails from now on; `trigger` is the signal name or `manual`. */
  markShuttingDown(trigger: string): void;
  /** `/live` answers 503 now (a critical liveness check fails): the kubelet is restarting the container. */
  liveFailing(): boolean;
  /** How long a participant's `close` may take, in ms (cleanup hooks and checks have options of their own). */
  closeLimit(phase: ClosePhase): number;
}

/**
 * One registry's part of the end of its life: one ordered list of {@link Participant}s, and the one sequence that
 * reads it phase by phase (announce, delay, drain, close, destroy). Every participant's `close` runs at most once,
 * whichever of the signal, `health.close()` or a framework's own close comes first. Signals themselves belong to the
 * process-wide coordinator.
 */
export class Lifecycle implements ShutdownParticipant {
  private readonly members: Participant[] = [];
  /** Each participant's one close run (resolves false when it failed or hung). */
  private readonly closes = new Map<Participant, Promise<boolean>>();
  /**
   * The participants whose `close` the current async call chain is inside of. A framework's close (Fastify's
   * `app.close()`) calls `health.close()` back from its own hooks: that inner call closes the rest and must not wait
   * for the close it is part of.
   */
  private readonly inside = new AsyncLocalStorage<readonly Participant[]>();
  private sequence: Promise<ShutdownResult> | null = null;
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

  /** Adds a participant (already validated) at the end of the list. Returns a function that removes it. */
  add(participant: Participant): () => void {
    this.members.push(participant);
    return () => {
      const i = this.members.indexOf(participant);
      if (i !== -1) this.members.splice(i, 1);
    };
  }

  /** The participants, in the order they joined. */
  get participants(): readonly Participant[] {
    return this.members;
  }

  /** Runs the sequence once; later calls get the same promise. The process exits (if asked) when every registry's ended. */
  shutdown(trigger: string): Promise<ShutdownResult> {
    if (this.sequence) return this.sequence;
    const sequence = runShutdown(
      {
        logger: this.logger,
        timers: this.timers,
        liveFailing: () => this.host.liveFailing(),
        markShuttingDown: () => this.host.markShuttingDown(trigger),
        participants: () => [...this.members],
        close: (limit) => this.close(CLOSE_PHASES, limit),
        closeLimit: (phase) => this.host.closeLimit(phase),
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
   * Runs the `close` step of every participant of `phases`, phase by phase, within a phase in reverse order of
   * joining, each at most once and bounded by `limit` (default: the host's limit of its phase). Resolves false when
   * one failed or hung. A close already run (or running elsewhere) is waited for, not repeated; one this very call
   * chain is inside of is skipped.
   */
  async close(phases: readonly ClosePhase[] = CLOSE_PHASES, limit?: (phase: ClosePhase) => number): Promise<boolean> {
    const within = this.inside.getStore() ?? [];
    let ok = true;
    for (const phase of phases) {
      const list = this.members.filter((p) => p.close !== undefined && (p.phase ?? 'hooks') === phase).reverse();
      for (const p of list) {
        if (within.includes(p)) continue;
        let run = this.closes.get(p);
        if (run === undefined) {
          run = this.closeOne(p, phase, within, (limit ?? ((ph) => this.host.closeLimit(ph)))(phase));
          this.closes.set(p, run);
        }
        if (!(await run)) ok = false;
      }
    }
    return ok;
  }

  private async closeOne(p: Participant, phase: ClosePhase, within: readonly Participant[], ms: number): Promise<boolean> {
    this.current = p.name;
    const fields = { participant: p.name, phase: 'close', closePhase: phase };
    const run = () => this.inside.run([...within, p], () => p.close?.());
    try {
      return await runBounded(this.logger, this.timers, p.name, run, ms, fields);
    } finally {
      if (this.current === p.name) this.current = undefined;
    }
  }
}

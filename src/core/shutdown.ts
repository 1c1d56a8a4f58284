import type { ServerTracker } from '../http/drain.js';
import { InvalidOptionError, toError } from './errors.js';
import type { Timers } from './types.js';

/** Options of the shutdown sequence (`createHealth({ shutdown })`); `false` turns it off. */
export interface ShutdownOptions {
  /** Signals that start it. Default `['SIGTERM', 'SIGINT']`. */
  signals?: readonly NodeJS.Signals[];
  /** Ms to keep serving (with readiness failing) before closing, so endpoints and load balancers catch up.
   * Default 5000 when `KUBERNETES_SERVICE_HOST` is set, else 0. */
  delay?: number;
  /** Ms from the signal to exit; past it remaining sockets are destroyed and the exit code is 1. Default 25000. */
  timeout?: number;
  /** Call `process.exit` at the end. Default `true`; with `false`, `health.shutdown()` only resolves. */
  exit?: boolean;
  /** Ms each cleanup hook may take. Default 5000. */
  hookTimeout?: number;
}

/** Shutdown options after validation. */
export interface NormalizedShutdown {
  readonly enabled: boolean;
  readonly signals: readonly NodeJS.Signals[];
  readonly delay: number;
  readonly timeout: number;
  readonly exit: boolean;
  readonly hookTimeout: number;
}

/** How a shutdown ended. */
export interface ShutdownResult {
  /** 0: clean; 1: a hook failed or hung, or the deadline passed. */
  readonly code: 0 | 1;
  readonly durationMs: number;
  /** The deadline passed and remaining sockets were destroyed. */
  readonly timedOut: boolean;
}

function nonNegativeInt(option: string, value: unknown, positive: boolean): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < (positive ? 1 : 0) || value > 2_147_483_647) {
    throw new InvalidOptionError(
      `Expected \`shutdown.${option}\` to be a ${positive ? 'positive' : 'non-negative'} integer, got \`${String(value)}\``,
    );
  }
  return value;
}

/**
 * Validates the shutdown options once.
 * @throws InvalidOptionError for unknown keys, bad numbers, `delay >= timeout`, or an empty/invalid signal list.
 */
export function normalizeShutdown(input: unknown, env: NodeJS.ProcessEnv = process.env): NormalizedShutdown {
  const off = { enabled: false, signals: [], delay: 0, timeout: 25_000, exit: false, hookTimeout: 5000 };
  if (input === false) return Object.freeze(off);
  const o = (input ?? {}) as ShutdownOptions;
  if (typeof o !== 'object')
    throw new InvalidOptionError(`Expected \`shutdown\` to be an object or false, got \`${String(input)}\``);
  for (const key of Object.keys(o)) {
    if (!['signals', 'delay', 'timeout', 'exit', 'hookTimeout'].includes(key))
      throw new InvalidOptionError(`Unknown option \`shutdown.${key}\``);
  }
  const signals = o.signals ?? ['SIGTERM', 'SIGINT'];
  if (!Array.isArray(signals) || signals.some((s) => typeof s !== 'string' || !/^SIG[A-Z0-9]+$/.test(s))) {
    throw new InvalidOptionError(
      `Expected \`shutdown.signals\` to be an array of signal names, got \`${JSON.stringify(signals)}\``,
    );
  }
  const delay = nonNegativeInt('delay', o.delay ?? (env.KUBERNETES_SERVICE_HOST ? 5000 : 0), false);
  const timeout = nonNegativeInt('timeout', o.timeout ?? 25_000, true);
  if (delay >= timeout)
    throw new InvalidOptionError(`Expected \`shutdown.delay\` to be < \`shutdown.timeout\` (${timeout}), got \`${delay}\``);
  const exit = o.exit ?? true;
  if (typeof exit !== 'boolean')
    throw new InvalidOptionError(`Expected \`shutdown.exit\` to be a boolean, got \`${String(exit)}\``);
  const hookTimeout = nonNegativeInt('hookTimeout', o.hookTimeout ?? 5000, true);
  return Object.freeze({ enabled: true, signals: Object.freeze([...new Set(signals)]), delay, timeout, exit, hookTimeout });
}

/** What the sequence needs from the registry. */
export interface ShutdownHost {
  readonly logger: { info(o: object, m?: string): void; warn(o: object, m?: string): void; error(o: object, m?: string): void };
  readonly timers: Timers;
  markShuttingDown(): void;
  trackers(): readonly ServerTracker[];
  hooks(): readonly { name: string; fn: () => unknown }[];
  /** Runs `fn` bounded by `ms`; resolves false when it threw or hung (already logged). */
  bounded(what: string, fn: () => unknown, ms: number): Promise<boolean>;
  /** Stops every check and calls their close hooks. */
  stopChecks(): Promise<void>;
}

/**
 * The sequence: readiness fails -> delay -> drain the servers -> cleanup hooks (reverse order) -> stop checks -> exit,
 * all before the deadline. Each step is logged with its timing.
 */
export async function runShutdown(host: ShutdownHost, cfg: NormalizedShutdown, trigger: string): Promise<ShutdownResult> {
  const { logger, timers } = host;
  const t0 = timers.now();
  const since = () => timers.now() - t0;
  let timedOut = false;
  let deadlineHandle: unknown;
  const deadline = new Promise<'deadline'>((resolve) => {
    deadlineHandle = timers.setTimeout(() => resolve('deadline'), cfg.timeout);
    // Ref'd on purpose: a hook hanging on nothing must not let the process end early with code 0.
    (deadlineHandle as { ref?: () => void }).ref?.();
  });
  const step = async <T>(p: Promise<T>): Promise<T | 'deadline'> => (timedOut ? 'deadline' : Promise.race([p, deadline]));

  host.markShuttingDown();
  logger.info({ trigger, delayMs: cfg.delay, timeoutMs: cfg.timeout }, 'probekit: shutdown started, readiness failing');
  let failed = false;
  try {
    if (cfg.delay > 0) {
      let h: unknown;
      const waited = await step(new Promise<void>((r) => (h = timers.setTimeout(r, cfg.delay))));
      timers.clearTimeout(h);
      if (waited === 'deadline') timedOut = true;
    }
    if (!timedOut) {
      logger.info({ elapsedMs: since() }, 'probekit: shutdown delay over, draining connections');
      const trackers = host.trackers();
      if ((await step(Promise.all(trackers.map((t) => t.drain())))) === 'deadline') timedOut = true;
      else logger.info({ elapsedMs: since(), servers: trackers.length }, 'probekit: connections drained');
    }
    for (const hook of [...host.hooks()].reverse()) {
      if (timedOut) break;
      const ms = Math.max(1, Math.min(cfg.hookTimeout, cfg.timeout - since()));
      const ok = await step(host.bounded(`shutdown hook ${hook.name}`, hook.fn, ms));
      if (ok === 'deadline') timedOut = true;
      else if (!ok) failed = true;
    }
    if (!timedOut && (await step(host.stopChecks())) === 'deadline') timedOut = true;
  } catch (err) {
    failed = true;
    logger.error({ err: toError(err) }, 'probekit: shutdown step failed');
  }
  if (timedOut) {
    const open = host.trackers().map((t) => t.openWork());
    logger.error(
      { elapsedMs: since(), timeoutMs: cfg.timeout, open, hooks: host.hooks().map((h) => h.name) },
      `probekit: shutdown did not finish within ${cfg.timeout} ms; destroying remaining connections`,
    );
    for (const t of host.trackers()) t.destroyAll();
  }
  timers.clearTimeout(deadlineHandle);
  const code = timedOut || failed ? 1 : 0;
  const result: ShutdownResult = { code, durationMs: since(), timedOut };
  logger[code === 0 ? 'info' : 'warn']({ ...result }, `probekit: shutdown complete, exit code ${code}`);
  return result;
}

/**
 * Owns the signal listeners and the single run of the sequence: the first signal starts it, a second one exits at
 * once with code 1, and the listeners stay until the sequence ends.
 */
export class ShutdownController {
  private promise: Promise<ShutdownResult> | null = null;
  private trapped = false;
  private readonly onSignal = (signal: NodeJS.Signals) => {
    if (this.promise) {
      this.host.logger.warn({ signal }, 'probekit: second signal during shutdown, exiting now');
      if (this.cfg.exit) process.exit(1);
      return;
    }
    void this.run(signal);
  };

  constructor(
    readonly cfg: NormalizedShutdown,
    private readonly host: ShutdownHost,
  ) {}

  /** Listens for the configured signals (when the sequence is enabled). Idempotent. */
  trap(): void {
    if (!this.cfg.enabled || this.trapped) return;
    this.trapped = true;
    for (const sig of this.cfg.signals) process.on(sig, this.onSignal);
  }

  /** Stops listening, unless a shutdown is under way (a second signal must still exit at once). */
  release(force = false): void {
    if (!this.trapped || (this.promise !== null && !force)) return;
    this.trapped = false;
    for (const sig of this.cfg.signals) process.removeListener(sig, this.onSignal);
  }

  /** Runs the sequence once; later calls get the same promise. Exits the process at the end when `exit` is set. */
  run(trigger: string): Promise<ShutdownResult> {
    this.promise ??= runShutdown(this.host, this.cfg, trigger).then((result) => {
      this.release(true);
      if (this.cfg.exit) process.exit(result.code);
      return result;
    });
    return this.promise;
  }
}

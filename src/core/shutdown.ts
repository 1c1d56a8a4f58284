import { constants } from 'node:os';
import { timerOption } from './bounds.js';
import { type AdaptiveDelay, type DelayOutcome, type NormalizedDelay, normalizeDelay, waitDelay } from './delay.js';
import { InvalidOptionError, showValue } from './errors.js';
import type { ClosePhase, Participant } from './participant.js';
import type { Timers } from './types.js';

/** Options of the shutdown sequence (`createHealth({ shutdown })`); `false` turns it off. */
export interface ShutdownOptions {
  /**
   * Signals that start it: a non-empty list of signals a process can catch (not SIGKILL or SIGSTOP).
   * Default `['SIGTERM', 'SIGINT']`.
   */
  signals?: readonly NodeJS.Signals[];
  /**
   * How long to keep serving (with readiness failing) before the drain, so endpoints and load balancers catch up:
   * a fixed number of ms, or `{ min, max, quiet }`: drain once `min` ms have passed and no request (probes aside)
   * has arrived for `quiet` ms, and at the latest at `max`. Default `{ min: 1000, max: 10000, quiet: 2000 }` when
   * `KUBERNETES_SERVICE_HOST` is set, else 0.
   */
  delay?: number | AdaptiveDelay;
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
  readonly delay: NormalizedDelay;
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

/** Signals a process can not catch, or that Node itself needs. */
const UNCATCHABLE = new Set(['SIGKILL', 'SIGSTOP', 'SIGSEGV', 'SIGBUS', 'SIGFPE', 'SIGILL']);

function validSignals(value: unknown): readonly NodeJS.Signals[] {
  const known = constants.signals as Record<string, number>;
  const ok =
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((s) => typeof s === 'string' && Object.hasOwn(known, s) && !UNCATCHABLE.has(s));
  if (!ok) {
    throw new InvalidOptionError(
      `Expected \`shutdown.signals\` to be a non-empty array of signals a process can catch (e.g. ['SIGTERM', 'SIGINT']), got \`${showValue(value)}\``,
    );
  }
  return Object.freeze([...new Set(value as NodeJS.Signals[])]);
}

/**
 * Validates the shutdown options once.
 * @throws InvalidOptionError for unknown keys, bad numbers, `delay >= timeout`, or an empty or invalid signal list.
 */
export function normalizeShutdown(input: unknown, env: NodeJS.ProcessEnv = process.env): NormalizedShutdown {
  const off = { enabled: false, signals: [], delay: normalizeDelay(0, false), timeout: 25_000, exit: false, hookTimeout: 5000 };
  if (input === false) return Object.freeze(off);
  const o = (input ?? {}) as ShutdownOptions;
  if (typeof o !== 'object' || Array.isArray(o))
    throw new InvalidOptionError(`Expected \`shutdown\` to be an object or false, got \`${showValue(input)}\``);
  for (const key of Object.keys(o)) {
    if (!['signals', 'delay', 'timeout', 'exit', 'hookTimeout'].includes(key))
      throw new InvalidOptionError(`Unknown option \`shutdown.${key}\``);
  }
  const signals = validSignals(o.signals ?? ['SIGTERM', 'SIGINT']);
  const delay = normalizeDelay(o.delay, Boolean(env.KUBERNETES_SERVICE_HOST));
  const timeout = timerOption('shutdown.timeout', o.timeout ?? 25_000);
  if (delay.max >= timeout) {
    throw new InvalidOptionError(
      `Expected \`shutdown.delay\` (its max) to be < \`shutdown.timeout\` (${timeout}), got \`${delay.max}\``,
    );
  }
  const exit = o.exit ?? true;
  if (typeof exit !== 'boolean')
    throw new InvalidOptionError(`Expected \`shutdown.exit\` to be a boolean, got \`${showValue(exit)}\``);
  const hookTimeout = timerOption('shutdown.hookTimeout', o.hookTimeout ?? 5000);
  return Object.freeze({ enabled: true, signals, delay, timeout, exit, hookTimeout });
}

/** What the sequence needs from the registry's lifecycle. */
export interface ShutdownHost {
  readonly logger: { info(o: object, m?: string): void; warn(o: object, m?: string): void; error(o: object, m?: string): void };
  readonly timers: Timers;
  /** `/live` answers 503 at the signal: a liveness kill, not a rollout. */
  liveFailing(): boolean;
  markShuttingDown(): void;
  /** The participants, in the order they joined. */
  participants(): readonly Participant[];
  /** Runs every participant's `close` once, phase by phase, each bounded by `limit(phase)`; false if one failed or hung. */
  close(limit: (phase: ClosePhase) => number): Promise<boolean>;
  /** How long a participant's `close` of `phase` may take, in ms (before the deadline's own bound). */
  closeLimit(phase: ClosePhase): number;
  /** The participant closing now, if any (named in the log when the deadline cuts it). */
  running(): string | undefined;
}

function safe<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

/** What the delay step found: the adaptive delay's outcome, or `liveness` when a liveness kill skipped it. */
type DelayStep = DelayOutcome | { waitedMs: 0; reason: 'liveness'; requests: 0; lastRequestMs: null };

/**
 * The sequence, one step at a time over the registry's participants: readiness fails and every participant announces
 * the end (`announce`) -> delay (skipped when `/live` already fails: the kubelet is restarting the container, and may
 * give it a short grace) -> every participant drains at once -> each one closes, phase by phase -> at the deadline,
 * what is left is destroyed. Each step is logged with its timing and the participants it ran. It never calls
 * `process.exit`.
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
  // Takes a function, not a promise: once the deadline passed, later steps are not even started.
  const step = async <T>(run: () => Promise<T>): Promise<T | 'deadline'> => {
    if (timedOut) return 'deadline';
    const r = await Promise.race([run(), deadline]);
    if (r === 'deadline') timedOut = true;
    return r;
  };
  const limit = (phase: ClosePhase) => Math.max(1, Math.min(host.closeLimit(phase), cfg.timeout - since()));
  const names = (list: readonly Participant[]) => list.map((p) => p.name);

  // Read before readiness starts failing: `/live` is what the kubelet acted on.
  const liveness = safe(() => host.liveFailing(), false);
  host.markShuttingDown();
  const all = host.participants();
  logger.info(
    { trigger, delay: cfg.delay, timeoutMs: cfg.timeout, participants: names(all) },
    'probekit: shutdown started, readiness failing',
  );
  let failed = false;
  for (const p of all) {
    if (p.announce === undefined) continue;
    try {
      p.announce(trigger);
    } catch (err) {
      failed = true;
      logger.error(
        { participant: p.name, phase: 'announce', error: safe(() => String(err), 'unprintable') },
        `probekit: ${p.name} failed to announce`,
      );
    }
  }
  try {
    const waited = await step(
      (): Promise<DelayStep> =>
        liveness
          ? Promise.resolve({ waitedMs: 0, reason: 'liveness', requests: 0, lastRequestMs: null })
          : waitDelay(cfg.delay, host.participants(), timers),
    );
    if (!timedOut) {
      const d = waited as DelayStep;
      logger.info(
        { elapsedMs: since(), delayMs: d.waitedMs, delayReason: d.reason, requests: d.requests, lastRequestMs: d.lastRequestMs },
        d.reason === 'liveness'
          ? 'probekit: /live was failing at the signal (a liveness restart): no delay, draining connections'
          : 'probekit: shutdown delay over, draining connections',
      );
      const draining = host.participants().filter((p) => p.drain !== undefined);
      // A participant whose drain throws must not keep the others from draining, nor skip the close step.
      const drained = await step(() => Promise.allSettled(draining.map((p) => Promise.resolve().then(() => p.drain?.()))));
      if (drained !== 'deadline') {
        drained.forEach((r, i) => {
          if (r.status === 'fulfilled') return;
          failed = true;
          const name = draining[i]?.name;
          logger.error(
            { participant: name, phase: 'drain', error: safe(() => String(r.reason), 'unprintable') },
            `probekit: ${name} failed to drain`,
          );
        });
        logger.info({ elapsedMs: since(), participants: names(draining) }, 'probekit: connections drained');
      }
    }
    if ((await step(() => host.close(limit))) === false) failed = true;
  } catch (err) {
    failed = true;
    logger.error({ error: safe(() => String(err), 'unprintable') }, 'probekit: shutdown step failed');
  }
  if (timedOut) {
    const open = host
      .participants()
      .filter((p) => p.openWork !== undefined)
      .map((p) => ({
        participant: p.name,
        ...safe(() => p.openWork?.() ?? { requests: [], connections: 0 }, { requests: [], connections: 0 }),
      }));
    logger.error(
      { elapsedMs: since(), timeoutMs: cfg.timeout, open, running: host.running() },
      `probekit: shutdown did not finish within ${cfg.timeout} ms; destroying remaining connections`,
    );
    for (const p of host.participants()) safe(() => p.destroy?.(), undefined);
  }
  timers.clearTimeout(deadlineHandle);
  const code = timedOut || failed ? 1 : 0;
  const result: ShutdownResult = { code, durationMs: since(), timedOut };
  logger[code === 0 ? 'info' : 'warn']({ ...result }, `probekit: shutdown complete, exit code ${code}`);
  return result;
}

import { constants } from 'node:os';
import { type AdaptiveDelay, type NormalizedDelay, normalizeDelay, waitDelay } from './delay.js';
import type { DrainTarget } from './drain-target.js';
import { InvalidOptionError, showValue } from './errors.js';
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

function nonNegativeInt(option: string, value: unknown, positive: boolean): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < (positive ? 1 : 0) || value > 2_147_483_647) {
    throw new InvalidOptionError(
      `Expected \`shutdown.${option}\` to be a ${positive ? 'positive' : 'non-negative'} integer <= 2147483647, got \`${showValue(value)}\``,
    );
  }
  return value;
}

/** Signals a process can not catch, or that Node itself needs. */
const UNCATCHABLE = new Set(['SIGKILL', 'SIGSTOP', 'SIGSEGV', 'SIGBUS', 'SIGFPE', 'SIGILL']);

function show(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function validSignals(value: unknown): readonly NodeJS.Signals[] {
  const known = constants.signals as Record<string, number>;
  const ok =
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((s) => typeof s === 'string' && Object.hasOwn(known, s) && !UNCATCHABLE.has(s));
  if (!ok) {
    throw new InvalidOptionError(
      `Expected \`shutdown.signals\` to be a non-empty array of signals a process can catch (e.g. ['SIGTERM', 'SIGINT']), got \`${show(value)}\``,
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
    throw new InvalidOptionError(`Expected \`shutdown\` to be an object or false, got \`${show(input)}\``);
  for (const key of Object.keys(o)) {
    if (!['signals', 'delay', 'timeout', 'exit', 'hookTimeout'].includes(key))
      throw new InvalidOptionError(`Unknown option \`shutdown.${key}\``);
  }
  const signals = validSignals(o.signals ?? ['SIGTERM', 'SIGINT']);
  const delay = normalizeDelay(o.delay, Boolean(env.KUBERNETES_SERVICE_HOST));
  const timeout = nonNegativeInt('timeout', o.timeout ?? 25_000, true);
  if (delay.max >= timeout) {
    throw new InvalidOptionError(
      `Expected \`shutdown.delay\` (its max) to be < \`shutdown.timeout\` (${timeout}), got \`${delay.max}\``,
    );
  }
  const exit = o.exit ?? true;
  if (typeof exit !== 'boolean')
    throw new InvalidOptionError(`Expected \`shutdown.exit\` to be a boolean, got \`${show(exit)}\``);
  const hookTimeout = nonNegativeInt('hookTimeout', o.hookTimeout ?? 5000, true);
  return Object.freeze({ enabled: true, signals, delay, timeout, exit, hookTimeout });
}

/** What the sequence needs from the registry's lifecycle. */
export interface ShutdownHost {
  readonly logger: { info(o: object, m?: string): void; warn(o: object, m?: string): void; error(o: object, m?: string): void };
  readonly timers: Timers;
  markShuttingDown(): void;
  targets(): readonly DrainTarget[];
  /** Runs the cleanup hooks (once per registry), each bounded by `limit()` ms; resolves false if one failed or hung. */
  runHooks(limit: () => number): Promise<boolean>;
  /** Closes the frameworks (Fastify's `app.close()`), after the hooks. Resolves false if one failed. */
  runClosers(limit: () => number): Promise<boolean>;
  /** Stops every check and calls their close hooks. */
  stopChecks(): Promise<void>;
  /** The hook or closer running now, if any (named in the log when the deadline cuts it). */
  running(): string | undefined;
}

function safe<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

/**
 * The sequence: readiness fails -> delay -> drain the targets -> cleanup hooks (reverse order) -> framework close ->
 * stop checks, all before the deadline. Each step is logged with its timing. It never calls `process.exit`.
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
  const limit = () => Math.max(1, Math.min(cfg.hookTimeout, cfg.timeout - since()));

  host.markShuttingDown();
  // Each target tells its clients at once (Connection: close, GOAWAY); one that throws keeps no other from it.
  for (const target of host.targets()) {
    try {
      target.announce?.();
    } catch (err) {
      logger.error({ error: safe(() => String(err), 'unprintable') }, 'probekit: a drain target failed to announce the shutdown');
    }
  }
  logger.info({ trigger, delay: cfg.delay, timeoutMs: cfg.timeout }, 'probekit: shutdown started, readiness failing');
  let failed = false;
  try {
    const waited = await step(() => waitDelay(cfg.delay, host.targets(), timers));
    if (!timedOut) {
      const d = waited as Awaited<ReturnType<typeof waitDelay>>;
      logger.info(
        { elapsedMs: since(), delayMs: d.waitedMs, delayReason: d.reason, requests: d.requests, lastRequestMs: d.lastRequestMs },
        'probekit: shutdown delay over, draining connections',
      );
      const targets = host.targets();
      // A target whose drain throws must not keep the others from draining, nor skip the hooks.
      const drained = await step(() => Promise.allSettled(targets.map((t) => Promise.resolve().then(() => t.drain()))));
      if (drained !== 'deadline') {
        for (const r of drained) {
          if (r.status === 'fulfilled') continue;
          failed = true;
          logger.error({ error: show(String(r.reason)) }, 'probekit: a drain failed');
        }
        logger.info({ elapsedMs: since(), targets: targets.length }, 'probekit: connections drained');
      }
    }
    if ((await step(() => host.runHooks(limit))) === false) failed = true;
    if ((await step(() => host.runClosers(limit))) === false) failed = true;
    await step(() => host.stopChecks());
  } catch (err) {
    failed = true;
    logger.error({ error: safe(() => String(err), 'unprintable') }, 'probekit: shutdown step failed');
  }
  if (timedOut) {
    const open = host.targets().map((t) => safe(() => t.openWork(), { requests: [], connections: 0 }));
    logger.error(
      { elapsedMs: since(), timeoutMs: cfg.timeout, open, running: host.running() },
      `probekit: shutdown did not finish within ${cfg.timeout} ms; destroying remaining connections`,
    );
    for (const t of host.targets()) safe(() => t.destroy(), undefined);
  }
  timers.clearTimeout(deadlineHandle);
  const code = timedOut || failed ? 1 : 0;
  const result: ShutdownResult = { code, durationMs: since(), timedOut };
  logger[code === 0 ? 'info' : 'warn']({ ...result }, `probekit: shutdown complete, exit code ${code}`);
  return result;
}

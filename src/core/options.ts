import { integerOption, timerOption } from './bounds.js';
import { InvalidOptionError, showValue as show } from './errors.js';
import type { Check, CheckOptions, Probe, Timers } from './types.js';
import { PROBES } from './types.js';

/** A check after validation: every setting present, nothing left to default. */
export interface NormalizedCheck {
  readonly name: string;
  readonly run: Check['run'];
  readonly close: (() => void | Promise<void>) | undefined;
  readonly probes: readonly Probe[];
  readonly live: boolean;
  readonly ready: boolean;
  /** Listed `startup` explicitly (otherwise critical ready checks gate startup, see aggregate). */
  readonly startup: boolean;
  readonly critical: boolean;
  readonly interval: number;
  /** 0 to {@link MAX_JITTER}: each interval is drawn from `interval x (1 +/- jitter)`. */
  readonly jitter: number;
  readonly timeout: number;
  readonly failureThreshold: number;
  readonly successThreshold: number;
  readonly fatal: (error: Error) => boolean;
  /** A dependency every replica shares: its failure may be kept at `warn` by the fleet view. */
  readonly shared: boolean;
}

/** Default check settings. */
export const CHECK_DEFAULTS = Object.freeze({
  probes: Object.freeze(['ready'] as Probe[]),
  critical: true,
  interval: 5000,
  jitter: 0.1,
  timeout: 2000,
  failureThreshold: 3,
  successThreshold: 1,
});

const NAME_RE = /^[a-z0-9][a-z0-9._-]*$/;
/**
 * The largest `jitter`: an interval is then drawn between half and one and a half times its value, so a check never
 * runs at more than twice its rate, and the schedules of replicas started together still spread within a few runs.
 */
const MAX_JITTER = 0.5;
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * The default `fatal` classifier: connection refused, host not found, host or network unreachable.
 * Looks through `cause` chains and AggregateErrors (Node's happy-eyeballs connect and `fetch` wrap the code there).
 */
export function isConnectionError(error: Error): boolean {
  const seen = new Set<unknown>();
  const visit = (e: unknown, depth: number): boolean => {
    if (e === null || typeof e !== 'object' || seen.has(e) || depth > 5) return false;
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
    const inner = (e as { errors?: unknown }).errors;
    if (Array.isArray(inner) && inner.some((x) => visit(x, depth + 1))) return true;
    return visit((e as { cause?: unknown }).cause, depth + 1);
  };
  return visit(error, 0);
}

const never = (): boolean => false;

function fail(where: string, option: string, expected: string, value: unknown): never {
  throw new InvalidOptionError(`${where}Expected \`${option}\` to be ${expected}, got \`${show(value)}\``);
}

function validateProbes(where: string, value: unknown): readonly Probe[] {
  if (!Array.isArray(value) || value.length === 0)
    fail(where, 'probes', "a non-empty array of 'live' | 'ready' | 'startup'", value);
  for (const p of value) {
    if (!PROBES.includes(p as Probe)) fail(where, 'probes', "a non-empty array of 'live' | 'ready' | 'startup'", value);
  }
  return Object.freeze([...new Set(value as Probe[])]);
}

/** The options every check takes besides `name`, `run` and `close` (the factories accept them too). */
export const CHECK_OPTION_KEYS = [
  'probes',
  'critical',
  'interval',
  'jitter',
  'timeout',
  'failureThreshold',
  'successThreshold',
  'fatal',
  'shared',
] as const;

const KNOWN_CHECK_KEYS = new Set<string>(['name', 'run', 'close', ...CHECK_OPTION_KEYS]);

/**
 * Validates the shared `defaults` once. Unknown keys are rejected so that a typo (`intervall`) is not silently ignored.
 * @throws InvalidOptionError
 */
export function normalizeDefaults(input: unknown): Readonly<CheckOptions> {
  if (input === undefined) return Object.freeze({});
  if (input === null || typeof input !== 'object') fail('', 'defaults', 'an object', input);
  const d = input as CheckOptions;
  for (const key of Object.keys(d)) {
    if (!KNOWN_CHECK_KEYS.has(key) || key === 'name' || key === 'run' || key === 'close') {
      throw new InvalidOptionError(`Unknown option \`defaults.${key}\``);
    }
  }
  const given = stripUndefined(d);
  // Validate through a dummy check so the same rules apply; only the keys the user gave are kept.
  normalizeCheck({ ...given, name: 'defaults', run: async () => {} }, {}, '`defaults`: ');
  return Object.freeze(given);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/**
 * Validates one check against the defaults and returns a frozen copy. Never writes to `input`.
 * @throws InvalidOptionError for a bad name, a missing `run`, a non-positive-integer number, `timeout >= interval`, ...
 */
export function normalizeCheck(input: unknown, defaults: Readonly<CheckOptions>, prefix?: string): NormalizedCheck {
  if (input === null || typeof input !== 'object') fail('', 'check', 'an object with `name` and `run`', input);
  const c = input as Partial<Check>;
  if (typeof c.name !== 'string' || !NAME_RE.test(c.name) || c.name.length > 128) {
    fail('', 'name', 'a string matching [a-z0-9][a-z0-9._-]* (at most 128 characters)', c.name);
  }
  const where = prefix ?? `check \`${c.name}\`: `;
  for (const key of Object.keys(c)) {
    if (!KNOWN_CHECK_KEYS.has(key)) throw new InvalidOptionError(`${where}Unknown option \`${key}\``);
  }
  if (typeof c.run !== 'function') fail(where, 'run', 'a function (signal) => Promise', c.run);
  if (c.close !== undefined && typeof c.close !== 'function') fail(where, 'close', 'a function', c.close);
  const probes = validateProbes(where, c.probes ?? defaults.probes ?? CHECK_DEFAULTS.probes);
  const critical = c.critical ?? defaults.critical ?? CHECK_DEFAULTS.critical;
  if (typeof critical !== 'boolean') fail(where, 'critical', 'a boolean', critical);
  const interval = timerOption('interval', c.interval ?? defaults.interval ?? CHECK_DEFAULTS.interval, 1, where);
  // An unset timeout follows a short interval down (interval 1000 -> timeout 500), so that `interval` alone is valid.
  const timeout = timerOption(
    'timeout',
    c.timeout ?? defaults.timeout ?? Math.min(CHECK_DEFAULTS.timeout, Math.max(1, Math.floor(interval / 2))),
    1,
    where,
  );
  if (timeout >= interval && (c.timeout ?? defaults.timeout) === undefined) {
    // Only `interval` was set (to 1): blame it, not a `timeout` the user never wrote.
    fail(where, 'interval', 'at least 2 when `timeout` is not set', interval);
  }
  if (timeout >= interval) {
    throw new InvalidOptionError(`${where}Expected \`timeout\` to be < \`interval\` (${interval}), got \`${timeout}\``);
  }
  // `timeout < interval` stays the rule with jitter: a drawn interval may be shorter than the timeout, and then a run
  // that takes its whole timeout delays the next start to its own end (the scheduler re-arms after each run).
  const jitter = c.jitter ?? defaults.jitter ?? CHECK_DEFAULTS.jitter;
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= MAX_JITTER)) {
    fail(where, 'jitter', `a number from 0 to ${MAX_JITTER}`, jitter);
  }
  const failureThreshold = integerOption(
    'failureThreshold',
    c.failureThreshold ?? defaults.failureThreshold ?? 3,
    1,
    1000,
    where,
  );
  const successThreshold = integerOption(
    'successThreshold',
    c.successThreshold ?? defaults.successThreshold ?? 1,
    1,
    1000,
    where,
  );
  const shared = c.shared ?? defaults.shared ?? false;
  if (typeof shared !== 'boolean') fail(where, 'shared', 'a boolean', shared);
  // A shared check does not fail at once on a refused connection: its failure waits for the threshold, so that the
  // peers' answer (asked from the first failed run on) is in before it fails.
  const fatal = c.fatal ?? defaults.fatal ?? (shared ? never : isConnectionError);
  if (typeof fatal !== 'function') fail(where, 'fatal', 'a function (error) => boolean', fatal);
  const run = c.run;
  const close = c.close;
  return Object.freeze({
    name: c.name,
    // Bound to the check object so that methods using `this` keep working.
    run: (signal: AbortSignal) => run.call(c, signal),
    close: close ? () => close.call(c) : undefined,
    probes,
    live: probes.includes('live'),
    ready: probes.includes('ready'),
    startup: probes.includes('startup'),
    critical,
    interval,
    jitter,
    timeout,
    failureThreshold,
    successThreshold,
    fatal,
    shared,
  });
}

/** Resolves the timers lazily from the globals, so that fake timers installed later still apply. */
export const realTimers: Timers = Object.freeze({
  setTimeout: (fn: () => void, ms: number) => {
    const t = globalThis.setTimeout(fn, ms);
    // Probe timers must never keep the process alive (no leaked handle after close()).
    t.unref?.();
    return t;
  },
  clearTimeout: (h: unknown) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
  monotonic: () => performance.now(),
  random: () => Math.random(),
});

/** Validates a `timers` override. */
export function normalizeTimers(input: unknown): Timers {
  if (input === undefined) return realTimers;
  const t = input as Partial<Timers>;
  if (
    t === null ||
    typeof t !== 'object' ||
    typeof t.setTimeout !== 'function' ||
    typeof t.clearTimeout !== 'function' ||
    typeof t.now !== 'function'
  ) {
    fail('', 'timers', 'an object with setTimeout, clearTimeout and now', input);
  }
  if (t.random !== undefined && typeof t.random !== 'function') fail('', 'timers.random', 'a function', t.random);
  return t as Timers;
}

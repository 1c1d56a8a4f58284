import { InvalidOptionError, showValue } from './errors.js';
import { CHECK_OPTION_KEYS } from './options.js';
import type { Check, CheckOptions } from './types.js';

/**
 * The mark {@link defineCheck} puts on a dependency factory's check, holding the factory's name. `Symbol.for`, so
 * that two copies of probekit in one process agree; non-enumerable, so that it never shows among the check's keys
 * (and a check copied by hand is a check built by hand).
 */
const DEPENDENCY = Symbol.for('probekit.dependency');

/**
 * Validates a factory's options object at creation: an object (or, with `optional`, undefined), and no key that
 * neither the factory (`own`) nor every check (`name`, `interval`, ...) knows, so a typo (`intervl`) throws here
 * instead of being dropped without a word.
 * @throws InvalidOptionError naming the factory and the key.
 */
export function factoryOptions<T extends object>(factory: string, options: unknown, own: readonly string[]): T {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidOptionError(
      `${factory}(): Expected an options object, got \`${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}\``,
    );
  }
  for (const key of Object.keys(options)) {
    if (key !== 'name' && !(CHECK_OPTION_KEYS as readonly string[]).includes(key) && !own.includes(key)) {
      throw new InvalidOptionError(`${factory}(): Unknown option \`${key}\``);
    }
  }
  return options as T;
}

/**
 * Builds a check from a factory's options: copies the common check options the user set (and only those),
 * takes the user's `name` or the factory's default. Validation of the values happens at registration.
 * `defaults.dependency` marks the check as one that tests a dependency (a database, a URL, a program): registered
 * for `live`, it is warned about (see {@link warnLiveDependency}).
 * @throws InvalidOptionError when `options` is not an object.
 */
export function defineCheck(
  factory: string,
  options: (CheckOptions & { name?: string }) | undefined,
  defaults: { name: string; dependency?: boolean } & CheckOptions,
  body: Pick<Check, 'run' | 'close'>,
): Check {
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionError(`${factory}(): expected an options object, got \`${showValue(options)}\``);
  }
  const check: Check = { ...pick(defaults), ...pick(options), name: options.name ?? defaults.name, run: body.run };
  if (body.close) check.close = body.close;
  if (defaults.dependency === true) Object.defineProperty(check, DEPENDENCY, { value: factory });
  return check;
}

function pick(o: CheckOptions): CheckOptions {
  const out: Record<string, unknown> = {};
  for (const k of CHECK_OPTION_KEYS) if (o[k] !== undefined) out[k] = o[k];
  return out as CheckOptions;
}

/** Rejects when `signal` aborts; the listener is removed once `promise` settles. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/**
 * Logs one warning when a check that {@link defineCheck} marked as a dependency check counts for `live`: a restart
 * cannot bring a dependency back, and restarting every pod while it is down only adds a reconnect storm. A check
 * built by hand is not judged. Called once per registration, with the check as given and as normalized.
 */
export function warnLiveDependency(
  logger: { warn(obj: object, msg?: string): void },
  check: unknown,
  normalized: { readonly name: string; readonly live: boolean },
): void {
  if (!normalized.live) return;
  let factory: unknown;
  try {
    factory = (check as Record<symbol, unknown>)[DEPENDENCY];
  } catch {
    return; // A Proxy whose trap throws was built by hand.
  }
  if (typeof factory !== 'string') return;
  logger.warn(
    { check: normalized.name, factory, probes: 'live' },
    `probekit: check ${normalized.name} (${factory}) is a dependency check on /live: a restart cannot bring a dependency back, ` +
      'so an outage would restart every pod; keep it on /ready, and for liveness use mysqlPoolCheck / postgresPoolCheck ' +
      '(docs/checks.md: What belongs in each probe)',
  );
}

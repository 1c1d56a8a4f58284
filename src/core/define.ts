import { InvalidOptionError } from './errors.js';
import type { Check, CheckOptions } from './types.js';

const OPTION_KEYS = [
  'probes',
  'critical',
  'interval',
  'timeout',
  'failureThreshold',
  'successThreshold',
  'fatal',
  'shared',
] as const;

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
    if (key !== 'name' && !(OPTION_KEYS as readonly string[]).includes(key) && !own.includes(key)) {
      throw new InvalidOptionError(`${factory}(): Unknown option \`${key}\``);
    }
  }
  return options as T;
}

/**
 * Builds a check from a factory's options: copies the common check options the user set (and only those),
 * takes the user's `name` or the factory's default. Validation of the values happens at registration.
 * @throws InvalidOptionError when `options` is not an object.
 */
export function defineCheck(
  factory: string,
  options: (CheckOptions & { name?: string }) | undefined,
  defaults: { name: string } & CheckOptions,
  body: Pick<Check, 'run' | 'close'>,
): Check {
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionError(`${factory}(): expected an options object, got \`${String(options)}\``);
  }
  const check: Check = { ...pick(defaults), ...pick(options), name: options.name ?? defaults.name, run: body.run };
  if (body.close) check.close = body.close;
  return check;
}

function pick(o: CheckOptions): CheckOptions {
  const out: Record<string, unknown> = {};
  for (const k of OPTION_KEYS) if (o[k] !== undefined) out[k] = o[k];
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

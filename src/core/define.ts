import { InvalidOptionError } from './errors.js';
import type { Check, CheckOptions } from './types.js';

const OPTION_KEYS = ['probes', 'critical', 'interval', 'timeout', 'failureThreshold', 'successThreshold', 'fatal'] as const;

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

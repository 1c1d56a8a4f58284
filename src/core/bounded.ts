import { loggableError } from './logger.js';
import { describeError } from './sanitize.js';
import type { Timers } from './types.js';

/** The logger calls {@link runBounded} makes. */
export interface BoundedLogger {
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/**
 * Runs `fn` (sync or async) with a deadline of `ms`. What it throws, and a deadline that passes, is logged with
 * `what` (and `fields`) and swallowed: one bad cleanup hook must not stop the others. Resolves `true` when `fn`
 * finished in time.
 */
export async function runBounded(
  logger: BoundedLogger,
  timers: Timers,
  what: string,
  fn: () => unknown,
  ms: number,
  fields: object = {},
): Promise<boolean> {
  const started = timers.now();
  let handle: unknown;
  const deadline = new Promise<'timeout'>((resolve) => {
    handle = timers.setTimeout(() => resolve('timeout'), ms);
  });
  try {
    const result = await Promise.race([Promise.resolve().then(fn), deadline]);
    if (result === 'timeout') {
      logger.error({ ...fields, timeoutMs: ms }, `probekit: ${what} did not finish within ${ms} ms`);
      return false;
    }
    logger.debug({ ...fields, durationMs: timers.now() - started }, `probekit: ${what} done`);
    return true;
  } catch (err) {
    logger.error({ ...fields, err: loggableError(err, describeError(err)) }, `probekit: ${what} failed`);
    return false;
  } finally {
    timers.clearTimeout(handle);
  }
}

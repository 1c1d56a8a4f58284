import { pino } from 'pino';
import { InvalidOptionError, showValue } from './errors.js';
import { stdoutDestination } from './stdout-destination.js';

/** The subset of a pino logger probekit uses; `app.log` of Fastify fits. */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/** A {@link Logger} whose methods never throw. */
export type SafeLogger = Logger;

const LEVELS = ['info', 'warn', 'error', 'debug'] as const;

/**
 * Validates the `logger` option and wraps it so that a logger that throws (a broken transport, a serializer that
 * chokes on a value) can never break a check's schedule or the shutdown sequence: what it throws is dropped.
 * @throws InvalidOptionError when `logger` lacks one of `info`, `warn`, `error`, `debug`.
 */
export function normalizeLogger(input: unknown): SafeLogger {
  // Not pino's default destination: its exit handler can hang the exit when stdout's reader is gone (see there).
  if (input === undefined) return guard(pino({ name: 'probekit' }, stdoutDestination()));
  if (input === null || typeof input !== 'object') {
    throw new InvalidOptionError(`Expected \`logger\` to be a pino-compatible logger, got \`${showValue(input)}\``);
  }
  const missing = LEVELS.filter((level) => typeof (input as Record<string, unknown>)[level] !== 'function');
  if (missing.length > 0) {
    throw new InvalidOptionError(
      `Expected \`logger\` to be a pino-compatible logger with info, warn, error and debug methods, got one without \`${missing.join('`, `')}\``,
    );
  }
  return guard(input as Logger);
}

function guard(logger: Logger): SafeLogger {
  const wrap =
    (level: (typeof LEVELS)[number]) =>
    (obj: object, msg?: string): void => {
      try {
        logger[level](obj, msg);
      } catch {
        // Nowhere left to report it: logging about a logger that throws would throw again.
      }
    };
  return Object.freeze({ info: wrap('info'), warn: wrap('warn'), error: wrap('error'), debug: wrap('debug') });
}

/**
 * A copy of `error` that any logger can serialise: pino's serializer tags the object it is given (a frozen error
 * makes it throw) and reads every enumerable property (a throwing getter makes it throw). The copy carries the
 * sanitised one-line description as its message, the original's name and string code, and the original's stack
 * frames without its first line (that line holds the unsanitised message).
 */
export function loggableError(error: unknown, description: string): Error {
  const copy = new Error(description);
  const name = readString(error, 'name');
  if (name !== undefined && name.length <= 64) copy.name = name;
  const code = readString(error, 'code');
  if (code !== undefined && code.length <= 64) Object.assign(copy, { code });
  const stack = readString(error, 'stack');
  const frames = stack?.split('\n').filter((l) => l.startsWith('    at ')) ?? [];
  copy.stack = [`${copy.name}: ${description}`, ...frames.slice(0, 20)].join('\n');
  return copy;
}

function readString(value: unknown, key: string): string | undefined {
  try {
    const v = (value as Record<string, unknown>)[key];
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

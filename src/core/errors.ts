/**
 * Every error probekit creates carries a stable `code`, so callers can branch on it
 * without parsing messages. The codes live in one table.
 */
export const codes = {
  INVALID_OPTION: 'PROBEKIT_ERR_OPTION_INVALID',
  DUPLICATE_CHECK: 'PROBEKIT_ERR_CHECK_DUPLICATE',
  CHECK_TIMEOUT: 'PROBEKIT_ERR_CHECK_TIMEOUT',
  CHECK_PENDING: 'PROBEKIT_ERR_CHECK_PENDING',
  CHECK_FAILED: 'PROBEKIT_ERR_CHECK_FAILED',
  STOPPED: 'PROBEKIT_ERR_REGISTRY_STOPPED',
  PROBE_SERVER_FAILED: 'PROBEKIT_ERR_PROBE_SERVER_FAILED',
  /** `ConsulRegistration.ready()`: the registration was closed before the agent ever took it. */
  CONSUL_CLOSED: 'PROBEKIT_ERR_CONSUL_CLOSED',
  /** A request to the Consul agent took longer than `requestTimeout` (logged; the registration retries). */
  CONSUL_TIMEOUT: 'PROBEKIT_ERR_CONSUL_TIMEOUT',
  /** The Consul agent answered a request with a status that is not a success, a redirect included (logged). */
  CONSUL_REQUEST_FAILED: 'PROBEKIT_ERR_CONSUL_REQUEST_FAILED',
} as const;

/** Code of a {@link ProbekitError}. */
export type ProbekitErrorCode = (typeof codes)[keyof typeof codes];

/** Base class of every error probekit throws or records. */
export class ProbekitError extends Error {
  override name = 'ProbekitError';
  /** Stable machine-readable code, `PROBEKIT_ERR_<AREA>_<WHAT>`. */
  readonly code: ProbekitErrorCode;

  constructor(code: ProbekitErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** An option passed to probekit has a wrong type or value. Thrown at registration. */
export class InvalidOptionError extends ProbekitError {
  override name = 'InvalidOptionError';
  constructor(message: string, options?: ErrorOptions) {
    super(codes.INVALID_OPTION, message, options);
  }
}

/** A check with the same name is already registered. */
export class DuplicateCheckError extends ProbekitError {
  override name = 'DuplicateCheckError';
  constructor(checkName: string) {
    super(codes.DUPLICATE_CHECK, `A check named \`${checkName}\` is already registered`);
  }
}

/** A check run did not settle within its `timeout`; its signal was aborted with this error. */
export class CheckTimeoutError extends ProbekitError {
  override name = 'CheckTimeoutError';
  /** The timeout that elapsed, in milliseconds. */
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(codes.CHECK_TIMEOUT, `timed out after ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/** A run was due while an earlier, timed-out run of the same check had still not settled. */
export class CheckPendingError extends ProbekitError {
  override name = 'CheckPendingError';
  constructor() {
    super(codes.CHECK_PENDING, 'previous run still pending');
  }
}

/** A check failed: a non-Error was thrown or returned (wrapped here), or a built-in check found its dependency unhealthy. */
export class CheckFailedError extends ProbekitError {
  override name = 'CheckFailedError';
  constructor(message: string, options?: ErrorOptions) {
    super(codes.CHECK_FAILED, message, options);
  }
}

/** The registry was stopped and cannot take new checks. */
export class RegistryStoppedError extends ProbekitError {
  override name = 'RegistryStoppedError';
  constructor(what: string) {
    super(codes.STOPPED, `Cannot ${what}: the health registry has been stopped`);
  }
}

/**
 * The probe server (`probeServer` option) could not listen (`EADDRINUSE`, `EACCES`, ...) or its thread failed.
 * The app itself keeps running; the error is logged and `health.probeServer.listening` rejects with it.
 */
export class ProbeServerError extends ProbekitError {
  override name = 'ProbeServerError';
  /** The system error code when there is one (`EADDRINUSE`), else undefined. */
  readonly syscallCode: string | undefined;
  constructor(message: string, syscallCode?: string, options?: ErrorOptions) {
    super(codes.PROBE_SERVER_FAILED, message, options);
    this.syscallCode = syscallCode;
  }
}

/** True for any error created by probekit, even across two copies of the package (falls back to `name`). */
export function isProbekitError(value: unknown): value is ProbekitError {
  if (value instanceof ProbekitError) return true;
  if (!(value instanceof Error)) return false;
  const code: unknown = (value as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('PROBEKIT_ERR_');
}

/**
 * Turns anything thrown into an Error, wrapping non-Errors so that no caller ever sees a bare string.
 * Never throws: a Proxy whose traps throw, or a value that cannot be printed, becomes a CheckFailedError too.
 */
export function toError(value: unknown): Error {
  try {
    if (value instanceof Error) return value;
  } catch {
    return new CheckFailedError('non-error thrown: [unreadable value]');
  }
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    try {
      text = Object.prototype.toString.call(value);
    } catch {
      text = '[unreadable value]';
    }
  }
  // The text goes into a message that is logged and maybe shown: a huge value must not make a huge error.
  if (text.length > 1024) text = `${text.slice(0, 1023)}…`;
  return new CheckFailedError(`non-error thrown: ${text}`, { cause: value });
}

/** The longest text {@link showValue} returns: a huge string or object must not make a huge message. */
const MAX_SHOWN = 200;

/**
 * A value as an option error shows it: JSON where it can (`"5000"` for a string, so it is not mistaken for the
 * number), `NaN`/`Infinity` as such, `[function]` for a function, cut to 200 characters. The one value printer of
 * the project. Never throws.
 */
export function showValue(value: unknown): string {
  let text: string;
  if (typeof value === 'function') return '[function]';
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'symbol') text = String(value);
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      try {
        text = Object.prototype.toString.call(value);
      } catch {
        text = '[unreadable value]';
      }
    }
  }
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text;
}

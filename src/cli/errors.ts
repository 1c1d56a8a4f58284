/**
 * Errors of the `probekit` command line. Each carries a stable `code` (`PROBEKIT_ERR_CLI_*`, so `isProbekitError`
 * accepts them) and the phase it happened in, which picks the exit code. They do not extend the core's
 * `ProbekitError`: its code type is the core table, and the command line loads nothing of the core (start-up time).
 */
export const cliCodes = {
  USAGE: 'PROBEKIT_ERR_CLI_USAGE',
  CONNECT: 'PROBEKIT_ERR_CLI_CONNECT',
  REQUEST: 'PROBEKIT_ERR_CLI_REQUEST',
  TOO_LARGE: 'PROBEKIT_ERR_CLI_TOO_LARGE',
} as const;

/** Code of a {@link CliError}. */
export type CliErrorCode = (typeof cliCodes)[keyof typeof cliCodes];

/** How a probe ended. */
export type Outcome = 'healthy' | 'usage' | 'connect' | 'request' | 'unhealthy';

/** Base class of the command line's errors. */
export class CliError extends Error {
  override name = 'CliError';
  readonly code: CliErrorCode;
  /** The phase that failed: bad arguments, the connection, or the request. */
  readonly outcome: Exclude<Outcome, 'healthy' | 'unhealthy'>;
  /** True when the phase ran out of time (the line then says "timed out"). */
  readonly timedOut: boolean;

  constructor(code: CliErrorCode, message: string, timedOut: boolean, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.timedOut = timedOut;
    this.outcome = code === cliCodes.USAGE ? 'usage' : code === cliCodes.CONNECT ? 'connect' : 'request';
  }
}

/** Bad arguments: an unknown flag, a malformed value, flags that do not go together, an unreadable file. */
export class UsageError extends CliError {
  override name = 'UsageError';
  constructor(message: string, options?: ErrorOptions) {
    super(cliCodes.USAGE, message, false, options);
  }
}

/** No connection: name resolution, refused, unreachable, TLS handshake, or the connect deadline. */
export class ConnectError extends CliError {
  override name = 'ConnectError';
  constructor(message: string, timedOut = false, options?: ErrorOptions) {
    super(cliCodes.CONNECT, message, timedOut, options);
  }
}

/** Connected, but no usable answer: reset, malformed, a gRPC error status, or the answer deadline. */
export class RequestError extends CliError {
  override name = 'RequestError';
  constructor(message: string, timedOut = false, options?: ErrorOptions) {
    super(cliCodes.REQUEST, message, timedOut, options);
  }
}

/**
 * The server sent more than the client will hold (an event past 1 MiB): a request failure that no retry mends, so
 * `watch` stops watching that endpoint.
 */
export class TooLargeError extends CliError {
  override name = 'TooLargeError';
  constructor(message: string, options?: ErrorOptions) {
    super(cliCodes.TOO_LARGE, message, false, options);
  }
}

/**
 * The exit code of an outcome. By default 0 or 1 (Docker's HEALTHCHECK reserves 2); with `detailed`,
 * grpc-health-probe's: 1 bad arguments, 2 connection failed or timed out, 3 request failed or timed out,
 * 4 answered but unhealthy.
 */
export function exitCode(outcome: Outcome, detailed: boolean): number {
  if (outcome === 'healthy') return 0;
  if (!detailed) return 1;
  return outcome === 'usage' ? 1 : outcome === 'connect' ? 2 : outcome === 'request' ? 3 : 4;
}

/** A one-line text of any error, including Node's AggregateError (happy eyeballs), whose own message is empty. */
export function describe(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) {
    const parts = [...new Set(err.errors.map(describe))];
    return parts.join('; ');
  }
  if (err instanceof Error) return err.message || (err as { code?: string }).code || err.name;
  return String(err);
}

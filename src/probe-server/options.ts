import { timerOption } from '../core/bounds.js';
import { InvalidOptionError, showValue } from '../core/errors.js';
import type { Probe } from '../core/types.js';
import { PROBES } from '../core/types.js';
import { type HttpOptions, normalizeHttpOptions } from '../http/contract.js';

/**
 * Options of `createHealth({ probeServer })`: a second HTTP server, in a worker thread, that answers the probes
 * however busy the app's own event loop is.
 */
export interface ProbeServerOptions {
  /** Port to listen on (0 picks a free one; read it from `health.probeServer.listening`). Required. */
  port: number;
  /** Address to listen on. Default `'0.0.0.0'` (the kubelet probes the pod IP). */
  host?: string;
  /**
   * How long the app's event loop may go without a turn before `/live` (and `/ready`) answer 503 with reason
   * `blocked`, in ms (500 to 2^31-1). Default 10000.
   */
  maxBlockMs?: number;
  /** Path of each probe; `false` turns one off. Default `/live`, `/ready`, `/startup`. */
  paths?: HttpOptions['paths'];
  /** Prefix before every path. Default none. */
  prefix?: string;
  /** Status codes per overall status (see `HttpOptions.statusCodes`). */
  statusCodes?: HttpOptions['statusCodes'];
  /** Show failing checks' error text: `'never'` (default) or `'always'`. A function cannot cross to the thread. */
  details?: 'never' | 'always';
}

/** The HTTP options the worker gets: validated, plain data (they are copied to the thread). */
export interface ProbeServerHttp {
  readonly paths?: Partial<Record<Probe, string | false>>;
  readonly prefix?: string;
  readonly statusCodes?: { pass?: number; warn?: number; fail?: number };
  readonly details: 'never' | 'always';
}

/** {@link ProbeServerOptions} after validation. */
export interface NormalizedProbeServer {
  readonly port: number;
  readonly host: string;
  readonly maxBlockMs: number;
  readonly http: ProbeServerHttp;
}

const KNOWN = new Set(['port', 'host', 'maxBlockMs', 'paths', 'prefix', 'statusCodes', 'details']);

function fail(option: string, expected: string, value: unknown): never {
  const name = option === '' ? 'probeServer' : `probeServer.${option}`;
  throw new InvalidOptionError(`Expected \`${name}\` to be ${expected}, got \`${showValue(value)}\``);
}

/** A plain copy of the given keys of an object, so that what crosses to the thread is data (no getters, no class). */
function plain<K extends string>(value: unknown, keys: readonly K[]): Partial<Record<K, unknown>> | undefined {
  if (value === undefined || value === null || typeof value !== 'object') return undefined;
  const out: Partial<Record<K, unknown>> = {};
  for (const k of keys) {
    const v = (value as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/**
 * Validates the `probeServer` option once; `undefined` when it is not given.
 * @throws InvalidOptionError for a missing or bad port, host or `maxBlockMs`, an unknown key, a `details` function,
 * or bad paths, prefix or status codes (the messages name `probeServer.<option>`).
 */
export function normalizeProbeServer(input: unknown): NormalizedProbeServer | undefined {
  if (input === undefined) return undefined;
  if (input === null || typeof input !== 'object' || Array.isArray(input)) fail('', 'an object like { port: 9000 }', input);
  const o = input as ProbeServerOptions;
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key)) throw new InvalidOptionError(`Unknown option \`probeServer.${key}\``);
  }
  const port = o.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535)
    fail('port', 'a port from 0 to 65535', port);
  const host = o.host ?? '0.0.0.0';
  if (typeof host !== 'string' || host.length === 0 || host.length > 255) fail('host', 'a host name or IP address', host);
  const maxBlockMs = o.maxBlockMs ?? 10_000;
  timerOption('probeServer.maxBlockMs', maxBlockMs, 500);
  const details = o.details ?? 'never';
  if (details !== 'never' && details !== 'always') {
    fail('details', "'never' or 'always' (a function cannot cross to the probe server's thread)", details);
  }
  const paths = o.paths === undefined ? undefined : (plain(o.paths, PROBES) ?? o.paths);
  const statusCodes = o.statusCodes === undefined ? undefined : (plain(o.statusCodes, ['pass', 'warn', 'fail']) ?? o.statusCodes);
  const http = {
    ...(paths !== undefined && { paths }),
    ...(o.prefix !== undefined && { prefix: o.prefix }),
    ...(statusCodes !== undefined && { statusCodes }),
    details,
  } as ProbeServerHttp;
  try {
    // The same rules as the app's adapters; the unknown keys of `paths` and `statusCodes` are checked on the input.
    normalizeHttpOptions({
      ...http,
      ...(o.paths !== undefined && { paths: o.paths }),
      ...(o.statusCodes !== undefined && { statusCodes: o.statusCodes }),
    });
  } catch (err) {
    if (err instanceof InvalidOptionError) throw new InvalidOptionError(`probeServer: ${err.message}`, { cause: err });
    throw err;
  }
  return Object.freeze({ port, host, maxBlockMs, http: Object.freeze(http) });
}

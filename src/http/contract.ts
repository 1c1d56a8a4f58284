import type { Reporter, ReportQuery } from '../core/aggregate.js';
import { type Format, JSON_HEADERS, type ProbeResponse } from '../core/aggregate.js';
import { InvalidOptionError, showValue } from '../core/errors.js';
import type { Probe } from '../core/types.js';
import { PROBES } from '../core/types.js';
import { negotiate } from './negotiate.js';
import { isRoutePath } from './paths.js';

/** Who may see the error text of failing checks. A function gets the framework's request object. */
export type DetailsOption<Req = unknown> = 'never' | 'always' | ((request: Req) => boolean);

/** HTTP options shared by every adapter (Fastify plugin, Express router, node:http layer). */
export interface HttpOptions<Req = unknown> {
  /** Path of each probe; `false` turns one off. Default `/live`, `/ready`, `/startup`. */
  paths?: Partial<Record<Probe, string | false>>;
  /** Prefix before every path, e.g. `/health`. Default none. */
  prefix?: string;
  /** Show failing checks' error text. Default `'never'` (bodies say `reason withheld`). */
  details?: DetailsOption<Req>;
  /** Most `?watch` streams (Server-Sent Events) open at once on this adapter; past it, 503. Default 100; 0 turns watching off. */
  maxWatchers?: number;
  /**
   * Ms between the events a `?watch` stream sends for run-by-run fields alone (`lastRun`, durations, streaks, the
   * status page's history): a change in substance (a status, a reason, an output) is sent at once, the rest at most
   * this often per stream. 100 to 3600000; default 5000.
   */
  watchInterval?: number;
  /** The HTML status page: `true` serves it at `/health`, `{ path }` elsewhere. Default off. Follows `details`. */
  statusPage?: boolean | { path?: string };
  /**
   * Status codes per overall status, for probe clients with other rules: `{ warn: 429 }` makes a Consul HTTP check
   * read a failing non-critical check as `warning`. Default `{ pass: 200, warn: 200, fail: 503 }`.
   */
  statusCodes?: { pass?: number; warn?: number; fail?: number };
  /**
   * For Envoy's active HTTP health checker: a `warn` answer of a probe path carries `x-envoy-degraded`, so Envoy
   * marks the host degraded (it gets traffic only when the healthy hosts fall short). Default `false`.
   */
  envoy?: boolean;
}

/** HTTP options after validation. */
export interface NormalizedHttp<Req = unknown> {
  /** Enabled probes with their full path (prefix included). */
  readonly routes: readonly { readonly probe: Probe; readonly path: string }[];
  readonly details: DetailsOption<Req>;
  /** Probe by exact full path, for the node:http layer. */
  readonly byPath: ReadonlyMap<string, Probe>;
  readonly maxWatchers: number;
  readonly watchInterval: number;
  /** The status page's path (prefix included), or `undefined` when it is off. */
  readonly statusPage: string | undefined;
  /** `envoy: true` was given. */
  readonly envoy: boolean;
  /** Applies `statusCodes` and `envoy`; `undefined` when both are the defaults (the hot path then skips it). */
  readonly remap: ((r: ProbeResponse) => ProbeResponse) | undefined;
}

/** A request as the contract reads it, whatever the framework. */
export interface ProbeRequest {
  /** The check name of a `/<probe>/<name>` path. */
  check?: string | undefined;
  verbose: boolean;
  exclude: readonly string[];
  accept: string | undefined;
}

/** What a request's query string asks for. */
export interface ProbeQuery {
  readonly verbose: boolean;
  readonly exclude: readonly string[];
  /** `?watch`: a stream of answers (Server-Sent Events) rather than one. */
  readonly watch: boolean;
}

const DEFAULT_PATHS: Record<Probe, string> = { live: '/live', ready: '/ready', startup: '/startup' };

/**
 * Validates a path option: a leading slash, no trailing slash, no query (`''` too when `allowEmpty`, for `prefix`).
 * @throws InvalidOptionError naming `option`, an example and the value.
 */
export function checkPath(
  option: string,
  value: unknown,
  allowEmpty: boolean,
  example = option === 'prefix' ? '/health' : '/ready',
): string {
  if (typeof value === 'string' && ((allowEmpty && value === '') || isRoutePath(value))) return value;
  throw new InvalidOptionError(
    `Expected \`${option}\` to be a path like \`${example}\` (leading slash, no trailing slash, no query), got \`${showValue(value)}\``,
  );
}

/**
 * Validates the HTTP options once, at registration.
 * @throws InvalidOptionError for a malformed path or prefix, an unknown probe key, two probes on one path, or a bad `details`.
 */
export function normalizeHttpOptions<Req>(input: HttpOptions<Req> = {}): NormalizedHttp<Req> {
  if (input === null || typeof input !== 'object') {
    throw new InvalidOptionError(`Expected the HTTP options to be an object, got \`${showValue(input)}\``);
  }
  const prefix = checkPath('prefix', input.prefix ?? '', true);
  const paths = input.paths ?? {};
  if (paths === null || typeof paths !== 'object') throw new InvalidOptionError('Expected `paths` to be an object');
  for (const key of Object.keys(paths)) {
    if (!PROBES.includes(key as Probe))
      throw new InvalidOptionError(`Unknown probe \`paths.${key}\`; expected live, ready or startup`);
  }
  const routes: { probe: Probe; path: string }[] = [];
  const byPath = new Map<string, Probe>();
  for (const probe of PROBES) {
    const p = paths[probe] ?? DEFAULT_PATHS[probe];
    if (p === false) continue;
    const path = prefix + checkPath(`paths.${probe}`, p, false);
    if (byPath.has(path)) throw new InvalidOptionError(`Two probes share the path \`${path}\``);
    byPath.set(path, probe);
    routes.push({ probe, path });
  }
  const details = input.details ?? 'never';
  if (details !== 'never' && details !== 'always' && typeof details !== 'function') {
    throw new InvalidOptionError(`Expected \`details\` to be 'never', 'always' or a function, got \`${showValue(details)}\``);
  }
  const maxWatchers = input.maxWatchers ?? 100;
  if (typeof maxWatchers !== 'number' || !Number.isInteger(maxWatchers) || maxWatchers < 0 || maxWatchers > 100_000) {
    throw new InvalidOptionError(`Expected \`maxWatchers\` to be an integer from 0 to 100000, got \`${showValue(maxWatchers)}\``);
  }
  const watchInterval = input.watchInterval ?? 5000;
  if (typeof watchInterval !== 'number' || !Number.isInteger(watchInterval) || watchInterval < 100 || watchInterval > 3_600_000) {
    throw new InvalidOptionError(
      `Expected \`watchInterval\` to be an integer from 100 to 3600000 (ms), got \`${showValue(watchInterval)}\``,
    );
  }
  const page = input.statusPage ?? false;
  let statusPage: string | undefined;
  if (page === true) statusPage = `${prefix}/health`;
  else if (page !== false) {
    if (page === null || typeof page !== 'object' || Array.isArray(page)) {
      throw new InvalidOptionError(`Expected \`statusPage\` to be a boolean or { path }, got \`${showValue(page)}\``);
    }
    statusPage = prefix + checkPath('statusPage.path', page.path ?? '/health', false);
  }
  if (statusPage !== undefined && byPath.has(statusPage)) {
    throw new InvalidOptionError(`The status page and a probe share the path \`${statusPage}\``);
  }
  const codes = statusCodesOf(input.statusCodes);
  const envoy = input.envoy ?? false;
  if (typeof envoy !== 'boolean') throw new InvalidOptionError(`Expected \`envoy\` to be a boolean, got \`${showValue(envoy)}\``);
  const isDefault = codes === undefined || (codes.pass === 200 && codes.warn === 200 && codes.fail === 503);
  const remap = isDefault && !envoy ? undefined : remapper(codes ?? DEFAULT_CODES, envoy);
  return Object.freeze({ routes: Object.freeze(routes), details, byPath, maxWatchers, watchInterval, statusPage, envoy, remap });
}

function truthyFlag(value: unknown): boolean {
  if (Array.isArray(value)) value = value[value.length - 1];
  return value !== undefined && value !== 'false' && value !== '0';
}

function names(value: unknown): string[] {
  if (typeof value === 'string') return value.length > 0 ? [value] : [];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string' && v.length > 0);
  return []; // An object from an "extended" query parser is not a name: ignored, never a crash.
}

/** The query of a plain probe hit, shared: the hot path allocates nothing for it. */
const NO_QUERY: ProbeQuery = Object.freeze({ verbose: false, exclude: Object.freeze([]), watch: false });

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}

/** Reads `verbose`, `exclude` and `watch` from a framework's parsed query object. */
export function fromQueryObject(query: unknown): ProbeQuery {
  if (query === null || typeof query !== 'object' || isEmpty(query)) return NO_QUERY;
  const q = query as Record<string, unknown>;
  return { verbose: truthyFlag(q.verbose), exclude: names(q.exclude), watch: truthyFlag(q.watch) };
}

/** Reads `verbose`, `exclude` and `watch` from a raw query string (without `?`), for the node:http layer. */
export function fromSearch(search: string): ProbeQuery {
  if (search.length === 0) return NO_QUERY;
  const params = new URLSearchParams(search);
  const verbose = params.has('verbose') && truthyFlag(params.getAll('verbose'));
  const watch = params.has('watch') && truthyFlag(params.getAll('watch'));
  return { verbose, exclude: params.getAll('exclude').filter((n) => n.length > 0), watch };
}

export { negotiate } from './negotiate.js';

/** The report queries of plain hits, one per format and details flag, made once. */
const PLAIN: Record<Format, readonly [ReportQuery, ReportQuery]> = {
  json: [Object.freeze({ format: 'json' }), Object.freeze({ format: 'json', details: true })],
  'health+json': [Object.freeze({ format: 'health+json' }), Object.freeze({ format: 'health+json', details: true })],
  text: [Object.freeze({ format: 'text' }), Object.freeze({ format: 'text', details: true })],
};

/** Evaluates the `details` option for one request. A throwing predicate means no details. */
export function detailsFor<Req>(option: DetailsOption<Req>, request: Req): boolean {
  if (option === 'never') return false;
  if (option === 'always') return true;
  try {
    return option(request) === true;
  } catch {
    return false;
  }
}

/** The whole HTTP contract: a probe request in, a response out. Adapters only translate to and from this. */
export function respond<Req>(
  health: Reporter,
  http: NormalizedHttp<Req>,
  probe: Probe,
  req: ProbeRequest,
  request: Req,
): ProbeResponse {
  const format = negotiate(req.verbose, req.accept);
  const details = detailsFor(http.details, request);
  const r =
    req.check === undefined && req.exclude.length === 0
      ? health.report(probe, PLAIN[format][details ? 1 : 0])
      : health.report(probe, { check: req.check, exclude: req.exclude, format, details });
  return http.remap === undefined ? r : http.remap(r);
}

type StatusCodes = { readonly pass: number; readonly warn: number; readonly fail: number };
const DEFAULT_CODES: StatusCodes = Object.freeze({ pass: 200, warn: 200, fail: 503 });

/**
 * The answer with the status codes of `statusCodes` (Consul reads 429 as warning) and, with `envoy`, the
 * `x-envoy-degraded` header on a `warn` answer (Envoy reads the header's presence). Each rendered answer is remapped
 * once: the registry's cached answers are the keys, so the hot path does a WeakMap lookup, no allocation.
 */
function remapper(codes: StatusCodes, envoy: boolean): (r: ProbeResponse) => ProbeResponse {
  const cache = new WeakMap<ProbeResponse, ProbeResponse>();
  return (r) => {
    if (r.status === 'error') return r;
    const code = codes[r.status];
    const degraded = envoy && r.status === 'warn';
    if (code === r.statusCode && !degraded) return r;
    let mapped = cache.get(r);
    if (mapped === undefined) {
      const headers = degraded ? Object.freeze({ ...r.headers, 'x-envoy-degraded': 'true' }) : r.headers;
      mapped = Object.freeze({ ...r, statusCode: code, headers });
      cache.set(r, mapped);
    }
    return mapped;
  };
}

function statusCodesOf(input: unknown): StatusCodes | undefined {
  if (input === undefined) return undefined;
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidOptionError(`Expected \`statusCodes\` to be an object like { warn: 429 }, got \`${showValue(input)}\``);
  }
  const given = input as Record<string, unknown>;
  const out: Record<string, number> = { pass: 200, warn: 200, fail: 503 };
  for (const [key, value] of Object.entries(given)) {
    if (!(key in out)) throw new InvalidOptionError(`Unknown option \`statusCodes.${key}\`; expected pass, warn or fail`);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 200 || value > 599) {
      throw new InvalidOptionError(
        `Expected \`statusCodes.${key}\` to be an HTTP status from 200 to 599, got \`${showValue(value)}\``,
      );
    }
    out[key] = value;
  }
  return out as StatusCodes;
}

/** Answer for a path under a probe that is not `/<probe>/<name>` (e.g. `/ready/a/b`). */
export function badPath(): ProbeResponse {
  return {
    statusCode: 404,
    status: 'error',
    headers: JSON_HEADERS,
    body: '{"status":"error","error":"Not Found","message":"Unknown probe path"}',
  };
}

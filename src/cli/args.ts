// Flag values shared by `probe` and `watch`: durations, status sets, headers and TLS files, each validated once
// into frozen settings. Every message names the flag and the value, and every failure is a UsageError (exit 1).
import type { parseArgs as ParseArgs, ParseArgsConfig } from 'node:util';
import { MAX_TIMER_MS } from '../core/bounds.js';
import { UsageError } from './errors.js';

// `import ... from 'node:util'` (or 'node:fs') builds the ESM facade of the whole module, which reads every export,
// and `fs.promises` loads fs/promises with it: about 4 ms of every exec probe. getBuiltinModule does not.
const { parseArgs } = process.getBuiltinModule('node:util');

/** The version sent in the default User-Agent and printed by `--version`; test/cli pins it to package.json. */
export const VERSION = '0.1.0';

/** The flags both commands take, in `util.parseArgs` form. */
export const REQUEST_FLAGS = {
  timeout: { type: 'string' },
  'connect-timeout': { type: 'string' },
  header: { type: 'string', multiple: true, short: 'H' },
  'expect-status': { type: 'string' },
  tls: { type: 'boolean' },
  'tls-no-verify': { type: 'boolean' },
  'tls-ca-cert': { type: 'string' },
  'tls-client-cert': { type: 'string' },
  'tls-client-key': { type: 'string' },
  'tls-server-name': { type: 'string' },
  'user-agent': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/**
 * `util.parseArgs` in strict mode, with its errors turned into one-line UsageErrors.
 * @throws UsageError for an unknown flag, a missing value, or a value given to a boolean flag.
 */
export function parseFlags<O extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: O,
): ReturnType<typeof ParseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    const code = (err as { code?: string }).code;
    const message = (err as Error).message;
    const unknown = /^Unknown option '([^']+)'/.exec(message);
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) throw new UsageError(`unknown flag ${unknown[1]}`);
    throw new UsageError(message.split(/\.\s/)[0] ?? message, { cause: err });
  }
}

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_PART = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
/** setTimeout's limit: longer delays fire at once. */

/**
 * Reads a duration the way grpc-health-probe (Go's `time.ParseDuration`) writes it: `1s`, `500ms`, `1.5s`, `1m30s`.
 * Returns milliseconds.
 * @throws UsageError when the text is not a positive duration below 24 days.
 */
export function parseDuration(flag: string, text: string): number {
  let rest = text;
  let ms = 0;
  while (rest.length > 0) {
    const m = DURATION_PART.exec(rest);
    if (m === null) break;
    ms += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    rest = rest.slice(m[0].length);
  }
  if (text.length === 0 || rest.length > 0) {
    throw new UsageError(`--${flag}: expected a duration like 1s, 500ms or 1.5s, got ${JSON.stringify(text)}`);
  }
  if (!(ms >= 1) || ms > MAX_TIMER_MS) {
    throw new UsageError(`--${flag}: expected a duration from 1ms to 24 days, got ${JSON.stringify(text)}`);
  }
  return ms;
}

/** Writes milliseconds back as a duration: `1s`, `500ms`, `1.5s`. */
export function formatDuration(ms: number): string {
  if (ms >= 1000 && ms % 100 === 0) return `${ms / 1000}s`;
  return `${Math.round(ms * 1000) / 1000}ms`;
}

/** Accepted HTTP status codes as inclusive ranges. */
export type StatusSet = readonly (readonly [number, number])[];

/** The kubelet's rule: 200-399 is healthy. */
export const DEFAULT_STATUS: StatusSet = Object.freeze([Object.freeze([200, 399] as const)]);

/**
 * Reads `--expect-status`: a comma list of codes (`200`), ranges (`200-299`) and classes (`2xx`).
 * @throws UsageError for anything else, a code outside 100-599, or a range that runs backwards.
 */
export function parseStatusSet(text: string): StatusSet {
  const out: (readonly [number, number])[] = [];
  for (const raw of text.split(',')) {
    const item = raw.trim();
    const single = /^\d{3}$/.test(item) ? Number(item) : undefined;
    const range = /^(\d{3})\s*-\s*(\d{3})$/.exec(item);
    const klass = /^([1-5])xx$/i.exec(item);
    let lo: number;
    let hi: number;
    if (single !== undefined) [lo, hi] = [single, single];
    else if (range) [lo, hi] = [Number(range[1]), Number(range[2])];
    else if (klass) [lo, hi] = [Number(klass[1]) * 100, Number(klass[1]) * 100 + 99];
    else
      throw new UsageError(`--expect-status: expected codes like 200, 200-299, 2xx or a comma list, got ${JSON.stringify(text)}`);
    if (lo < 100 || hi > 599 || lo > hi)
      throw new UsageError(`--expect-status: ${JSON.stringify(item)} is not a range of 100-599`);
    out.push(Object.freeze([lo, hi] as const));
  }
  return Object.freeze(out);
}

/** True when `code` is in the set. */
export function statusAccepted(set: StatusSet, code: number): boolean {
  for (const [lo, hi] of set) if (code >= lo && code <= hi) return true;
  return false;
}

/** The set as the user would write it: `200-399`, `2xx,404`. */
export function formatStatusSet(set: StatusSet): string {
  return set
    .map(([lo, hi]) => (lo === hi ? String(lo) : lo % 100 === 0 && hi === lo + 99 ? `${lo / 100}xx` : `${lo}-${hi}`))
    .join(',');
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Visible ASCII, spaces, tabs and non-ASCII: no CR, LF, NUL or other control characters (header injection).
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\uffff]*$/;

/**
 * Reads repeated `--header 'Name: value'` flags into pairs, in order.
 * @throws UsageError for a missing colon, a name that is not an HTTP token, or a value with control characters.
 */
export function parseHeaders(values: readonly string[] | undefined): readonly (readonly [string, string])[] {
  const out: (readonly [string, string])[] = [];
  for (const text of values ?? []) {
    const colon = text.indexOf(':');
    const name = colon === -1 ? '' : text.slice(0, colon).trim();
    const value = colon === -1 ? '' : text.slice(colon + 1).trim();
    if (!TOKEN.test(name)) throw new UsageError(`--header: expected 'Name: value', got ${JSON.stringify(text)}`);
    if (!FIELD_VALUE.test(value)) throw new UsageError(`--header: the value of ${name} has control characters`);
    out.push(Object.freeze([name, value] as const));
  }
  return Object.freeze(out);
}

/** What `tls.connect` needs, with the files already read. */
export interface TlsSettings {
  readonly rejectUnauthorized: boolean;
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /** SNI and the name the certificate must carry. Default: the host (no SNI for an IP address). */
  readonly servername?: string;
}

/** Settings of one request, shared by the HTTP and gRPC clients and by `watch`. */
export interface RequestSettings {
  /** Deadline of the whole exchange, connection included. Default 1 s. */
  readonly timeoutMs: number;
  /** Deadline of the connection (TCP, TLS; for gRPC also the server's HTTP/2 settings). Default `timeoutMs`. */
  readonly connectTimeoutMs: number;
  readonly headers: readonly (readonly [string, string])[];
  readonly userAgent: string;
  /** Set when the connection uses TLS. */
  readonly tls: TlsSettings | undefined;
}

type Values = Partial<Record<keyof typeof REQUEST_FLAGS, string | boolean | string[]>>;

const TLS_FILE_FLAGS = ['tls-ca-cert', 'tls-client-cert', 'tls-client-key'] as const;

function readTlsFile(flag: string, path: string): Buffer {
  try {
    return process.getBuiltinModule('node:fs').readFileSync(path);
  } catch (err) {
    throw new UsageError(`--${flag}: cannot read ${path}: ${(err as { code?: string }).code ?? (err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * Validates the TLS flags (grpc-health-probe's rules) and reads their files.
 * @param enabled TLS is on: an https:// URL, or `--tls` with `--grpc`.
 * @param how what turns TLS on, for the message when it is off.
 * @throws UsageError for a TLS flag while TLS is off, `--tls-no-verify` with `--tls-ca-cert`, a client certificate
 *   without its key (or the reverse), or a file that cannot be read.
 */
export function tlsSettings(values: Values, enabled: boolean, how: string): TlsSettings | undefined {
  const given = (['tls-no-verify', ...TLS_FILE_FLAGS, 'tls-server-name'] as const).filter((f) => values[f] !== undefined);
  if (!enabled) {
    if (given.length > 0) throw new UsageError(`--${given[0]} needs TLS (${how})`);
    return undefined;
  }
  if (values['tls-no-verify'] === true && values['tls-ca-cert'] !== undefined) {
    throw new UsageError('--tls-ca-cert cannot go with --tls-no-verify (the CA would not be used)');
  }
  if ((values['tls-client-cert'] === undefined) !== (values['tls-client-key'] === undefined)) {
    throw new UsageError('--tls-client-cert and --tls-client-key go together');
  }
  const out: { -readonly [K in keyof TlsSettings]: TlsSettings[K] } = { rejectUnauthorized: values['tls-no-verify'] !== true };
  const ca = values['tls-ca-cert'];
  if (typeof ca === 'string') out.ca = readTlsFile('tls-ca-cert', ca);
  const cert = values['tls-client-cert'];
  const key = values['tls-client-key'];
  if (typeof cert === 'string' && typeof key === 'string') {
    out.cert = readTlsFile('tls-client-cert', cert);
    out.key = readTlsFile('tls-client-key', key);
  }
  const name = values['tls-server-name'];
  if (typeof name === 'string') {
    if (!/^[A-Za-z0-9.-]+$/.test(name))
      throw new UsageError(`--tls-server-name: expected a host name, got ${JSON.stringify(name)}`);
    out.servername = name;
  }
  return Object.freeze(out);
}

/**
 * The request settings of either command. `tlsEnabled` and `how` as for {@link tlsSettings}.
 * @throws UsageError for a malformed duration or header, or a TLS flag that does not apply.
 */
export function requestSettings(values: Values, tlsEnabled: boolean, how: string): RequestSettings {
  const timeoutMs = typeof values.timeout === 'string' ? parseDuration('timeout', values.timeout) : 1000;
  const connect = values['connect-timeout'];
  const connectTimeoutMs =
    typeof connect === 'string' ? Math.min(parseDuration('connect-timeout', connect), timeoutMs) : timeoutMs;
  const agent = values['user-agent'];
  if (typeof agent === 'string' && !FIELD_VALUE.test(agent)) throw new UsageError('--user-agent has control characters');
  return Object.freeze({
    timeoutMs,
    connectTimeoutMs,
    headers: parseHeaders(values.header as string[] | undefined),
    userAgent: typeof agent === 'string' ? agent : `probekit/${VERSION}`,
    tls: tlsSettings(values, tlsEnabled, how),
  });
}

/**
 * Reads an http:// or https:// URL.
 * @throws UsageError for anything else (a URL without a scheme included).
 */
export function parseHttpUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`expected an http:// or https:// URL, got ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`expected an http:// or https:// URL, got ${JSON.stringify(text)}`);
  }
  if (url.username !== '' || url.password !== '') throw new UsageError('credentials in the URL are not supported; use --header');
  return url;
}

import { timerOption } from '../core/bounds.js';
import { InvalidOptionError, showValue as show } from '../core/errors.js';
import { normalizeTimers } from '../core/options.js';
import type { Timers } from '../core/types.js';
import { type NormalizedDuration, normalizeDuration } from './duration.js';
import { type Redact, redactor } from './redact.js';

/** The options after validation: what every request needs, computed once. */
export interface NormalizedConsul {
  /** The agent's base URL, without a trailing slash. */
  readonly agent: string;
  readonly token: string | undefined;
  /** Masks the token in a text (as sent, JSON-escaped or percent-encoded): applied to everything logged. */
  readonly redact: Redact;
  readonly serviceId: string;
  readonly serviceName: string;
  /** The JSON body of the register request. */
  readonly registerBody: string;
  readonly requestTimeout: number;
  readonly initialDelay: number;
  readonly maxDelay: number;
  readonly timers: Timers;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,255}$/;
const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,255}$/;
const META_KEY = /^[A-Za-z0-9_-]{1,128}$/;
// Printable ASCII with no spaces: a header value that cannot be split or folded.
const TOKEN = /^[\x21-\x7e]{1,512}$/;
const GRPC_TARGET = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*):(\d{1,5})(?:\/(\S+))?$/;
// Whitespace, C0 controls and DEL: never part of a tag or a URL, and a header or log line could be split on them.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point of this pattern.
const BAD_TEXT = /[\s\x00-\x1f\x7f]/;

function fail(option: string, expected: string, value: unknown): never {
  throw new InvalidOptionError(`Expected \`${option}\` to be ${expected}, got \`${show(value)}\``);
}

function objectOf(option: string, value: unknown, known: readonly string[]): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    if (option === '') throw new InvalidOptionError(`Expected options to be an object, got \`${show(value)}\``);
    fail(option, 'an object', value);
  }
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw new InvalidOptionError(`Unknown option \`${option === '' ? '' : `${option}.`}${key}\``);
  }
  return value as Record<string, unknown>;
}

function timer(option: string, value: unknown, fallback: number): number {
  return timerOption(option, value ?? fallback);
}

function duration(option: string, value: unknown): NormalizedDuration {
  return normalizeDuration(value) ?? fail(option, 'a positive duration: ms, or Go format like "10s", "500ms", "1m"', value);
}

function normalizeAgent(value: unknown): string {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '') {
    fail('agent', 'an http(s) URL like "http://127.0.0.1:8500"', value);
  }
  if (url.username !== '' || url.password !== '') fail('agent', 'a URL without credentials (pass `token`)', '***');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function normalizeMeta(value: unknown): Readonly<Record<string, string>> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail('service.meta', 'an object of strings', value);
  const meta = value as Record<string, unknown>;
  const keys = Object.keys(meta);
  if (keys.length > 64) fail('service.meta', 'an object of at most 64 keys', `${keys.length} keys`);
  const out: Record<string, string> = {};
  for (const key of keys) {
    if (!META_KEY.test(key) || key.startsWith('consul-')) {
      fail('service.meta', 'keys of 1 to 128 letters, digits, `_` or `-`, not starting with `consul-`', key);
    }
    const v = meta[key];
    if (typeof v !== 'string' || v.length > 512) fail(`service.meta.${key}`, 'a string of at most 512 characters', v);
    out[key] = v;
  }
  return Object.freeze(out);
}

function normalizeTags(value: unknown): readonly string[] {
  const ok =
    Array.isArray(value) && value.every((t) => typeof t === 'string' && t.length > 0 && t.length <= 255 && !BAD_TEXT.test(t));
  if (!ok) fail('service.tags', 'an array of non-empty strings without spaces or control characters', value);
  return Object.freeze([...(value as string[])]);
}

/** The URL Consul calls: a path is put on the service's address (or 127.0.0.1) and port. */
function httpTarget(value: unknown, address: string | undefined, port: number): string {
  const expected = 'a path starting with `/` or an http(s) URL';
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048 || BAD_TEXT.test(value)) {
    fail('check.http', expected, value);
  }
  if (value.startsWith('/')) {
    if (value.startsWith('//')) fail('check.http', expected, value);
    const host = address === undefined ? '127.0.0.1' : address.includes(':') ? `[${address}]` : address;
    return `http://${host}:${port}${value}`;
  }
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return value;
  } catch {
    // Falls through to the error below.
  }
  return fail('check.http', expected, value);
}

function grpcTarget(value: unknown): string {
  const m = typeof value === 'string' ? GRPC_TARGET.exec(value) : null;
  const port = m === null ? 0 : Number(m[2]);
  if (port < 1 || port > 65535) fail('check.grpc', 'a target like "127.0.0.1:50051" or "127.0.0.1:50051/my.Service"', value);
  return value as string;
}

const TOP = ['agent', 'token', 'service', 'check', 'requestTimeout', 'retry', 'timers'] as const;
const SERVICE = ['name', 'id', 'address', 'port', 'tags', 'meta'] as const;
const CHECK = ['http', 'grpc', 'interval', 'timeout', 'deregisterCriticalServiceAfter'] as const;

function normalizeCheck(input: unknown, address: string | undefined, port: number): Record<string, string> {
  const c = objectOf('check', input, CHECK);
  if ((c.http === undefined) === (c.grpc === undefined)) {
    throw new InvalidOptionError(`Expected exactly one of \`check.http\` and \`check.grpc\`, got \`${show(c)}\``);
  }
  const interval = duration('check.interval', c.interval);
  const timeout = duration('check.timeout', c.timeout);
  if (timeout.ms >= interval.ms) {
    throw new InvalidOptionError(
      `Expected \`check.timeout\` to be < \`check.interval\` (${interval.text}), got \`${timeout.text}\``,
    );
  }
  const deregister = duration('check.deregisterCriticalServiceAfter', c.deregisterCriticalServiceAfter);
  const target: Record<string, string> =
    c.http !== undefined ? { HTTP: httpTarget(c.http, address, port) } : { GRPC: grpcTarget(c.grpc) };
  return { ...target, Interval: interval.text, Timeout: timeout.text, DeregisterCriticalServiceAfter: deregister.text };
}

/**
 * Validates the options once and builds the register request's body. Never writes to `input`.
 * @throws InvalidOptionError naming the option and the value, for unknown keys too.
 */
export function normalizeConsulOptions(input: unknown): NormalizedConsul {
  const o = objectOf('', input, TOP);
  const s = objectOf('service', o.service, SERVICE);
  if (typeof s.name !== 'string' || !NAME.test(s.name)) {
    fail('service.name', 'a name of letters, digits, `.`, `_` or `-` (at most 256 characters)', s.name);
  }
  const id = s.id ?? s.name;
  if (typeof id !== 'string' || !ID.test(id)) {
    fail('service.id', 'an id of letters, digits, `.`, `_`, `:` or `-` (at most 256 characters)', s.id);
  }
  const address = s.address;
  if (
    address !== undefined &&
    (typeof address !== 'string' || address.length === 0 || address.length > 255 || /[\s/[\]@]/.test(address))
  ) {
    fail('service.address', 'a host name or IP address', address);
  }
  const port = s.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    fail('service.port', 'an integer from 1 to 65535', port);
  }
  const check = normalizeCheck(o.check, address as string | undefined, port);
  const token = o.token;
  if (token !== undefined && (typeof token !== 'string' || !TOKEN.test(token))) {
    // The value is a secret: the message says what is wrong with it, never what it is.
    fail('token', 'a non-empty string of visible ASCII characters (at most 512)', typeof token === 'string' ? '***' : token);
  }
  const r = o.retry === undefined ? {} : objectOf('retry', o.retry, ['initialDelay', 'maxDelay']);
  const initialDelay = timer('retry.initialDelay', r.initialDelay, 1000);
  const maxDelay = timer('retry.maxDelay', r.maxDelay, Math.max(30_000, initialDelay));
  if (maxDelay < initialDelay) {
    throw new InvalidOptionError(
      `Expected \`retry.maxDelay\` to be >= \`retry.initialDelay\` (${initialDelay}), got \`${maxDelay}\``,
    );
  }
  const body = {
    ID: id,
    Name: s.name,
    ...(s.tags !== undefined && { Tags: normalizeTags(s.tags) }),
    ...(address !== undefined && { Address: address }),
    Port: port,
    ...(s.meta !== undefined && { Meta: normalizeMeta(s.meta) }),
    Check: check,
  };
  return Object.freeze({
    agent: normalizeAgent(o.agent ?? 'http://127.0.0.1:8500'),
    token: token as string | undefined,
    redact: redactor(token as string | undefined),
    serviceId: id as string,
    serviceName: s.name,
    registerBody: JSON.stringify(body),
    requestTimeout: timer('requestTimeout', o.requestTimeout, 5000),
    initialDelay,
    maxDelay,
    timers: normalizeTimers(o.timers),
  });
}

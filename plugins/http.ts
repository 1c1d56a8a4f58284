import { abortable, defineCheck, factoryOptions } from '../src/core/define.js';
import { InvalidOptionError, showValue } from '../src/core/errors.js';
import { sanitizeText } from '../src/core/sanitize.js';
import type { Check, CheckOptions } from '../src/core/types.js';

/** Options of {@link httpCheck}. */
export interface HttpCheckOptions extends CheckOptions {
  /** The URL to request (http or https). */
  url: string | URL;
  /** Accepted status codes: one, a list, or a predicate. Default 200-399 (what the kubelet accepts). */
  expectStatus?: number | readonly number[] | ((status: number) => boolean);
  /** Required body content: a substring, a RegExp, or a predicate on the text. Default: the body is not read. */
  expectBody?: string | RegExp | ((body: string) => boolean);
  /** HTTP method. Default `GET`. */
  method?: string;
  /** Request headers. */
  headers?: Record<string, string>;
  /** Most bytes of body read for `expectBody`. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Check name. Default `http`. */
  name?: string;
}

const MAX_BODY = 64 * 1024 * 1024;
/** An HTTP token (RFC 9110 section 5.6.2): what a method or a header name may be made of. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** What a header value may hold: visible characters, spaces and tabs; never CR, LF or NUL (header injection). */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Validates `headers` once, at creation: a value with a newline would otherwise fail every run with an error whose
 * text carries the value (a token). The message names the header, never its value.
 */
function validHeaders(input: unknown): Record<string, string> {
  if (input === undefined) return {};
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidOptionError(`httpCheck(): Expected \`headers\` to be an object of strings, got \`${showValue(input)}\``);
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(input)) {
    if (!TOKEN.test(name)) {
      throw new InvalidOptionError(`httpCheck(): Expected \`headers\` names to be HTTP tokens, got \`${showValue(name)}\``);
    }
    if (typeof value !== 'string' || !FIELD_VALUE.test(value)) {
      throw new InvalidOptionError(
        `httpCheck(): Expected \`headers.${name}\` to be a string without control characters (CR, LF, NUL), got ${typeof value === 'string' ? 'one with them (value not shown)' : `\`${typeof value}\``}`,
      );
    }
    out[name] = value;
  }
  return Object.freeze(out);
}

function statusMatcher(expect: HttpCheckOptions['expectStatus']): (status: number) => boolean {
  if (expect === undefined) return (s) => s >= 200 && s < 400;
  if (typeof expect === 'number') return (s) => s === expect;
  if (typeof expect === 'function') return expect;
  if (Array.isArray(expect) && expect.every((n) => typeof n === 'number')) return (s) => expect.includes(s);
  throw new InvalidOptionError(
    `httpCheck(): Expected \`expectStatus\` to be a number, a number[] or a function, got \`${showValue(expect)}\``,
  );
}

function bodyMatcher(expect: HttpCheckOptions['expectBody']): ((body: string) => boolean) | undefined {
  if (expect === undefined) return undefined;
  if (typeof expect === 'string') return (b) => b.includes(expect);
  if (expect instanceof RegExp) return (b) => new RegExp(expect.source, expect.flags.replace('g', '')).test(b);
  if (typeof expect === 'function') return expect;
  throw new InvalidOptionError(
    `httpCheck(): Expected \`expectBody\` to be a string, a RegExp or a function, got \`${showValue(expect)}\``,
  );
}

async function readLimited(body: ReadableStream<Uint8Array>, max: number): Promise<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    // A chunk can be far larger than what is left of `max`: only that much of it is kept.
    const part = value.byteLength > max - size ? value.subarray(0, max - size) : value;
    size += part.byteLength;
    text += decoder.decode(part, { stream: true });
    if (size >= max) {
      await reader.cancel();
      break;
    }
  }
  return text + decoder.decode();
}

/** Turns fetch's generic `TypeError: fetch failed` into the network error underneath (its code drives `fatal`). */
function unwrapFetchError(err: unknown): unknown {
  if (err instanceof TypeError && err.cause instanceof Error) {
    const cause = err.cause as Error & { code?: string };
    const e = new Error(sanitizeText(cause.message || err.message), { cause });
    if (cause.code) Object.assign(e, { code: cause.code });
    return e;
  }
  return err;
}

/**
 * Requests a URL with Node's fetch, passing the check's abort signal, and checks the status (and body if asked).
 * @throws InvalidOptionError for a missing or non-http(s) `url`, a `url` with credentials, or a bad matcher.
 */
export function httpCheck(options: HttpCheckOptions): Check {
  factoryOptions('httpCheck', options, ['url', 'expectStatus', 'expectBody', 'method', 'headers', 'maxBodyBytes']);
  let url: URL;
  try {
    url = new URL(String(options?.url));
  } catch {
    throw new InvalidOptionError(
      `httpCheck(): Expected \`url\` to be an absolute http(s) URL, got \`${showValue(options?.url)}\``,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidOptionError(`httpCheck(): Expected \`url\` to be http or https, got \`${url.protocol}\``);
  }
  // fetch refuses such a URL on every run (and its error would carry the password into the logs): refuse it once, here.
  if (url.username !== '' || url.password !== '') {
    throw new InvalidOptionError(
      `httpCheck(): Expected \`url\` without credentials (send them in \`headers\`, e.g. authorization), got \`${sanitizeText(url.href)}\``,
    );
  }
  const okStatus = statusMatcher(options.expectStatus);
  const okBody = bodyMatcher(options.expectBody);
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  if (typeof maxBody !== 'number' || !Number.isInteger(maxBody) || maxBody < 1 || maxBody > MAX_BODY) {
    throw new InvalidOptionError(
      `httpCheck(): Expected \`maxBodyBytes\` to be a positive integer <= ${MAX_BODY}, got \`${showValue(maxBody)}\``,
    );
  }
  const method = options.method ?? 'GET';
  if (typeof method !== 'string' || !TOKEN.test(method)) {
    throw new InvalidOptionError(
      `httpCheck(): Expected \`method\` to be an HTTP method token like GET, got \`${showValue(method)}\``,
    );
  }
  const init = { method, headers: validHeaders(options.headers), redirect: 'manual' as const };
  return defineCheck(
    'httpCheck',
    options,
    { name: 'http', dependency: true },
    {
      async run(signal) {
        let res: Response;
        try {
          res = await fetch(url, { ...init, signal });
        } catch (err) {
          throw unwrapFetchError(err);
        }
        if (!okStatus(res.status)) {
          await res.body?.cancel();
          throw new Error(`unexpected status ${res.status}`);
        }
        if (okBody === undefined) {
          await res.body?.cancel(); // Frees the connection for reuse without reading what nobody looks at.
          return;
        }
        const text = res.body ? await abortable(readLimited(res.body, maxBody), signal) : '';
        if (!okBody(text)) throw new Error(`status ${res.status}, body did not match`);
      },
    },
  );
}

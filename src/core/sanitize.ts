/** Longest output text kept per check; the kubelet reads only 10 KiB of a body. */
const MAX_OUTPUT = 300;
/**
 * How much of a text is looked at before the secrets are masked. The cut comes first so that the cost of a body is
 * bounded whatever a check throws (a 32 KiB message, a 16 KiB name); it is well past MAX_OUTPUT, so that a secret that
 * straddles the cut is already beyond what is shown.
 */
const MAX_SCAN = 2048;

// Every pattern below is a single character class or a literal: none can backtrack, so each pass is linear.
/** Ends the first line: a stack trace, or a line a line-splitting reader would see, never gets through. */
const LINE_BREAK = /[\n\r\v\f\u0085\u2028\u2029]/;
/** C0 and C1 controls, DEL, and the Unicode separators and bidi overrides that make text look like something else. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point of this pattern.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/** A key whose value is a secret: password, PGPASSWORD, MYSQL_PWD, client_secret, access_token, api_key, authorization... */
const SECRET_KEY = /pass|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|auth|session|cookie/i;
const KEY_CHAR = /[A-Za-z0-9_.-]/;
const MAX_KEY = 64;
/** Authorization schemes whose next word is the credential. */
const AUTH_SCHEME = /^(bearer|basic|digest|token|negotiate)$/i;

function isKeyChar(c: string): boolean {
  return KEY_CHAR.test(c);
}

/**
 * Masks URL credentials: everything between `://` and the last `@` of the URL (before `?`, `#` or white space) becomes
 * `***`. The last `@`, because passwords hold `@` and `/` (`mysql://root:p@ss@db`, `postgres://app:Zm9v/YmFy+==@db`).
 */
function maskUrlCredentials(text: string): string {
  let out = '';
  let from = 0;
  for (let i = text.indexOf('://'); i !== -1; i = text.indexOf('://', from)) {
    const start = i + 3;
    let end = start;
    let at = -1;
    while (end < text.length) {
      const c = text[end] as string;
      if (c === '?' || c === '#' || c === ' ' || c === '\t' || c === '"' || c === "'" || c === '>' || c === ',') break;
      if (c === '@') at = end;
      end++;
    }
    out += text.slice(from, start);
    if (at !== -1) {
      out += `***${text.slice(at, end)}`;
    } else {
      out += text.slice(start, end);
    }
    from = end;
  }
  return from === 0 ? text : out + text.slice(from);
}

/** The end of a value that starts at `i`: a quoted string, or a run of characters up to a separator. */
function valueEnd(text: string, i: number): number {
  const q = text[i];
  if (q === '"' || q === "'") {
    const close = text.indexOf(q, i + 1);
    return close === -1 ? text.length : close + 1;
  }
  let j = i;
  while (j < text.length) {
    const c = text[j] as string;
    if (c === ' ' || c === '\t' || c === ';' || c === ',' || c === '&' || c === '"' || c === "'" || c === '}' || c === ')') {
      break;
    }
    j++;
  }
  return j;
}

/**
 * Masks `key=value` and `key: value` secrets (DSNs, env dumps, JSON, headers): for each `=` or `:` it looks back at
 * the key (at most MAX_KEY characters, so the scan stays linear) and, if the key names a secret, masks the value.
 * `Authorization: Bearer abc` masks `abc` too.
 */
function maskKeyValues(text: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const sep = text[i];
    if (sep !== '=' && sep !== ':') continue;
    // `scheme://` is a URL, not a key (handled by maskUrlCredentials).
    if (sep === ':' && text[i + 1] === '/' && text[i + 2] === '/') continue;
    let k = i - 1;
    while (k >= from && text[k] === ' ') k--;
    const quoted = k >= from && (text[k] === '"' || text[k] === "'");
    if (quoted) k--;
    const keyEnd = k + 1;
    while (k >= from && keyEnd - k <= MAX_KEY && isKeyChar(text[k] as string)) k--;
    const key = text.slice(k + 1, keyEnd);
    if (key.length === 0 || !SECRET_KEY.test(key)) continue;
    let v = i + 1;
    while (v < text.length && text[v] === ' ') v++;
    if (v >= text.length) continue;
    let end = valueEnd(text, v);
    const word = text.slice(v, end);
    if (AUTH_SCHEME.test(word) && text[end] === ' ') end = valueEnd(text, end + 1);
    out += `${text.slice(from, v)}***`;
    // Keep a closing quote, so `{"password":"x"}` reads `{"password":***}` and not a broken string.
    from = end;
    i = end - 1;
  }
  return from === 0 ? text : out + text.slice(from);
}

/** Masks a bare `Bearer <token>` with no key in front of it. */
function maskBearer(text: string): string {
  const re = /\bbearer [^\s,;"']+/gi;
  return text.replace(re, 'Bearer ***');
}

/**
 * Makes a text fit for a probe body or a log line: first line only (never a stack trace), control characters and
 * Unicode line separators removed, URL credentials and `password=`-style secrets masked, at most 300 characters.
 * Its cost is linear in the input (the input is cut to 2048 characters first).
 */
export function sanitizeText(text: string): string {
  let line = text.length > MAX_SCAN ? text.slice(0, MAX_SCAN) : text;
  const nl = line.search(LINE_BREAK);
  if (nl !== -1) line = line.slice(0, nl);
  line = line.replace(CONTROL, ' ');
  line = maskBearer(maskKeyValues(maskUrlCredentials(line)));
  if (line.length > MAX_OUTPUT) line = `${line.slice(0, MAX_OUTPUT - 1)}…`;
  return line;
}

/** Reads a property without letting a getter or a Proxy trap throw. */
function read(value: object, key: string): unknown {
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** A short, safe text for anything a check threw or rejected with: never throws, whatever the value. */
function rawDescription(error: unknown): string {
  if (typeof error === 'string') return error;
  if (error === null || (typeof error !== 'object' && typeof error !== 'function')) return String(error);
  const message = read(error, 'message');
  const code = read(error, 'code');
  let name = read(error, 'name');
  if (typeof name !== 'string' || name.length === 0) name = undefined;
  let text: string;
  if (typeof message === 'string' && message.length > 0) text = message;
  else if (typeof message === 'number' || typeof message === 'boolean' || typeof message === 'bigint') text = String(message);
  else if (message !== undefined && message !== null && message !== '') {
    text = `${(name as string | undefined) ?? 'Error'} (message is not text)`;
  } else text = (name as string | undefined) ?? 'failed';
  // Our own errors read as the docs promise ("timed out after 2000 ms"); others get their code in front.
  const useCode = typeof code === 'string' && code.length > 0 && code.length <= 64 && !code.startsWith('PROBEKIT_ERR_');
  return useCode && !text.includes(code) ? `${code}: ${text}` : text;
}

/** The text shown for a failed check: `CODE: message`, sanitised. Never throws, whatever `error` is. */
export function describeError(error: unknown): string {
  let text: string;
  try {
    text = rawDescription(error);
  } catch {
    text = 'failed (unreadable error)';
  }
  return sanitizeText(text) || 'failed';
}

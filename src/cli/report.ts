// Text of the command line's output: untrusted server text made one-line and bounded, the JSON probe body read
// leniently, and the verbose check list. Pure.

/** Docker keeps at most 4,096 bytes of a health check's output; stay under it with room to spare. */
const MAX_OUTPUT_BYTES = 4000;

// Terminal escape sequences (ECMA-48), removed whole so that none of their bytes is shown: CSI (`ESC [` or 0x9B,
// parameters, intermediates, a final byte), the string commands OSC, DCS, SOS, PM and APC up to BEL or ST (or the
// next ESC), and the other two-byte ESC sequences. Each alternative starts on an ESC or a C1 byte and its classes do
// not overlap, so the pass is linear.
const ESCAPES =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  /(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x1b[\x20-\x2f]*[\x30-\x7e]?/g;
// What is left of C0 and C1 controls, DEL and the Unicode line separators: a server's text must not move the cursor,
// colour the terminal or break the line.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;
/** Bidi marks, embeddings, overrides and isolates: they make text read as something else. */
const BIDI = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Server text made safe for one line of a terminal: escape sequences and bidi controls removed, other controls to
 * spaces, blanks collapsed, at most `max` characters (never half a surrogate pair).
 */
export function oneLine(text: string, max = 300): string {
  const flat = text.replace(ESCAPES, '').replace(CONTROL, ' ').replace(BIDI, '').replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  let end = max - 1;
  const last = flat.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${flat.slice(0, end)}…`;
}

/** Cuts `text` to at most `maxBytes` of UTF-8, on a character boundary, marking the cut with `…`. */
export function capBytes(text: string, maxBytes = MAX_OUTPUT_BYTES): string {
  if (text.length * 3 <= maxBytes) return text; // at most 3 bytes per UTF-16 unit: no need to count
  const bytes = Buffer.from(text);
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes - 4; // room for `…\n`
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--; // not inside a multi-byte character
  return `${bytes.subarray(0, end).toString('utf8')}…\n`;
}

/** One check of a probe body, as far as the command line uses it. */
export interface CheckBody {
  status: string;
  critical: boolean;
  /** Epoch ms of the last status change, or undefined. */
  since: number | undefined;
  durationMs: number | undefined;
  consecutiveFailures: number | undefined;
  consecutiveSuccesses: number | undefined;
  output: string | undefined;
}

/** A probe body: `{"status","reason"?,"checks"}` (also the health+json draft's `output` and check arrays). */
export interface HealthBody {
  status: string | undefined;
  reason: string | undefined;
  /** An error answer's `message` (`{"status":"error","message":"No ready check named \"x\""}`). */
  message: string | undefined;
  checks: Map<string, CheckBody>;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function time(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function checkOf(raw: unknown): CheckBody | undefined {
  // The health+json draft keys each check by `name:measurement` and wraps it in an array.
  const c = Array.isArray(raw) ? raw[0] : raw;
  if (c === null || typeof c !== 'object') return undefined;
  const o = c as Record<string, unknown>;
  const status = str(o.status);
  if (status === undefined) return undefined;
  const output = str(o.output);
  return {
    status: oneLine(status, 16),
    critical: o.critical !== false,
    since: time(o.since),
    durationMs: num(o.durationMs) ?? (o.observedUnit === 'ms' ? num(o.observedValue) : undefined),
    consecutiveFailures: num(o.consecutiveFailures),
    consecutiveSuccesses: num(o.consecutiveSuccesses),
    output: output === undefined ? undefined : oneLine(output),
  };
}

/** Reads a probe body; undefined when it is not a JSON object. Unknown fields are ignored, odd ones dropped. */
export function parseHealthBody(text: string): HealthBody | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
  const o = data as Record<string, unknown>;
  const checks = new Map<string, CheckBody>();
  if (o.checks !== null && typeof o.checks === 'object') {
    for (const [key, raw] of Object.entries(o.checks as Record<string, unknown>)) {
      const c = checkOf(raw);
      const name = oneLine(key.replace(/:responseTime$/, ''), 60);
      if (c !== undefined) checks.set(name, c);
    }
  }
  const status = str(o.status);
  const reason = str(o.reason) ?? str(o.output);
  const message = str(o.message);
  return {
    status: status === undefined ? undefined : oneLine(status, 16),
    reason: reason === undefined ? undefined : oneLine(reason),
    message: message === undefined ? undefined : oneLine(message),
    checks,
  };
}

/** `[+]` passing, `[!]` failing but not critical, `[-]` failing, `[?]` no result yet. */
export function marker(c: CheckBody): string {
  if (c.status === 'pass') return '[+]';
  if (c.status === 'unknown') return '[?]';
  return c.critical && c.status !== 'warn' ? '[-]' : '[!]';
}

/** The verbose list: one line per check, e.g. `  [-] db fail, 1001 ms, 3 failures, since 2026-…Z: timed out`. */
export function checkLines(body: HealthBody): string[] {
  const lines: string[] = [];
  for (const [name, c] of body.checks) {
    const parts = [c.critical ? c.status : `${c.status} (non-critical)`];
    if (c.durationMs !== undefined) parts.push(`${c.durationMs < 10 ? c.durationMs.toFixed(1) : Math.round(c.durationMs)} ms`);
    if (c.status !== 'pass' && c.consecutiveFailures) parts.push(`${c.consecutiveFailures} failures`);
    if (c.since !== undefined) parts.push(`since ${new Date(c.since).toISOString()}`);
    lines.push(`  ${marker(c)} ${name} ${parts.join(', ')}${c.output === undefined ? '' : `: ${c.output}`}`);
  }
  return lines;
}

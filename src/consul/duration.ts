// Consul reads its durations with Go's `time.ParseDuration`: "10s", "500ms", "1m30s". probekit's own options are
// milliseconds, so both are accepted here: a number is milliseconds and is written out in Go's format, a string
// must already be in Go's format and is sent as written.

/** A duration for Consul: milliseconds, or a Go duration string (`"10s"`, `"500ms"`, `"1m30s"`, `"1h"`). */
export type ConsulDuration = number | string;

/** A duration after validation: what is sent to Consul, and its length for the comparisons made here. */
export interface NormalizedDuration {
  /** Go format, as Consul reads it. */
  readonly text: string;
  readonly ms: number;
}

/** Milliseconds per Go unit (`µs` is written with U+00B5 or U+03BC; Go accepts both). */
const UNIT_MS: Readonly<Record<string, number>> = Object.freeze({
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
});

// One `<number><unit>` part, anchored: the whole text must be a sequence of these (no sign, no spaces).
const PART = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;

/** Parses a positive Go duration; `undefined` when it is not one. Linear in the text (at most 64 characters). */
export function parseGoDuration(text: string): number | undefined {
  if (text.length === 0 || text.length > 64) return undefined;
  let rest = text;
  let ms = 0;
  while (rest.length > 0) {
    const m = PART.exec(rest);
    if (m === null) return undefined;
    ms += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    rest = rest.slice(m[0].length);
  }
  return ms > 0 && Number.isFinite(ms) ? ms : undefined;
}

/** Writes a whole number of milliseconds in Go's format, in the largest unit that divides it: 90000 -> `"90s"`. */
export function formatGoDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** Longest duration accepted (Go's `time.Duration` holds about 292 years; this is 100). */
const MAX_MS = 100 * 365 * 24 * 3_600_000;

/**
 * Validates one duration option.
 * @returns the Go text and the length, or `undefined` when `value` is not a positive duration.
 */
export function normalizeDuration(value: unknown): NormalizedDuration | undefined {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 1 || value > MAX_MS) return undefined;
    return Object.freeze({ text: formatGoDuration(value), ms: value });
  }
  if (typeof value !== 'string') return undefined;
  const ms = parseGoDuration(value);
  if (ms === undefined || ms > MAX_MS) return undefined;
  return Object.freeze({ text: value, ms });
}

// The ACL token is a secret the agent may hand back (an error text that quotes the request): every text probekit/consul
// logs goes through the redaction below, on top of the core's sanitizer, which knows secrets by their shape only.
import type { Logger } from '../core/logger.js';

/** Replaces every copy of a known secret in a text with `***`. */
export type Redact = (text: string) => string;

const MASK = '***';
/** How deep a log object is walked: the registration's own objects are flat; the bound keeps the walk finite. */
const MAX_DEPTH = 4;

/**
 * A {@link Redact} for `token`: it masks the token as sent, and as an answer may quote it (JSON-escaped,
 * percent-encoded). Without a token it returns the text unchanged.
 */
export function redactor(token: string | undefined): Redact {
  if (token === undefined || token === '') return (text) => text;
  const forms = [...new Set([token, JSON.stringify(token).slice(1, -1), encodeURIComponent(token)])];
  // Longest first, so that a form holding another is masked whole.
  forms.sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const form of forms) if (out.includes(form)) out = out.split(form).join(MASK);
    return out;
  };
}

function redactValue(value: unknown, redact: Redact, depth: number): unknown {
  if (typeof value === 'string') return redact(value);
  if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, redact, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = redactValue(v, redact, depth + 1);
  return out;
}

/**
 * A logger that passes every line to `logger` with `redact` applied to the message and to the strings of the
 * object (copied, never written to).
 */
export function redactingLogger(logger: Logger, redact: Redact): Logger {
  const wrap =
    (level: keyof Logger) =>
    (obj: object, msg?: string): void => {
      logger[level](redactValue(obj, redact, 0) as object, msg === undefined ? undefined : redact(msg));
    };
  return { info: wrap('info'), warn: wrap('warn'), error: wrap('error'), debug: wrap('debug') };
}

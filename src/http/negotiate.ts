import type { Format } from '../core/aggregate.js';

/**
 * Picks the body format: `?verbose` gives text; else `application/health+json` when the client names it with a
 * q-value above 0 and at least that of `application/json` (RFC 9110 section 12.5.1: q=0 means not acceptable, the
 * highest q wins; a tie keeps health+json, as before q-values were read); else JSON. A bare wildcard gives JSON.
 */
export function negotiate(verbose: boolean, accept: string | undefined): Format {
  if (verbose) return 'text';
  // The common case (no Accept, `*/*`, `application/json`) costs one regex test and allocates nothing.
  if (accept === undefined || accept.length < HEALTH_JSON.length || !HEALTH_JSON_RE.test(accept)) return 'json';
  return preferHealthJson(accept) ? 'health+json' : 'json';
}

const HEALTH_JSON = 'application/health+json';
// A case-insensitive test, rather than toLowerCase(): no string is allocated per request.
const HEALTH_JSON_RE = /application\/health\+json/i;
/** Longest Accept header read for q-values; past it the rest is ignored (the parse stays linear and small). */
const MAX_ACCEPT = 1024;

/** The q-value of one media range (`type/subtype;q=0.5;x=y`): 1 when absent, 0 when malformed. */
function qOf(params: string[]): number {
  for (let i = 1; i < params.length; i++) {
    const p = (params[i] as string).trim();
    if (p.length < 2 || (p[0] !== 'q' && p[0] !== 'Q') || p[1] !== '=') continue;
    const q = Number(p.slice(2));
    return Number.isFinite(q) && q >= 0 && q <= 1 ? q : 0;
  }
  return 1;
}

function preferHealthJson(accept: string): boolean {
  let health = -1;
  let json = -1;
  let anyJson = -1;
  for (const range of accept.slice(0, MAX_ACCEPT).split(',')) {
    const params = range.split(';');
    const type = (params[0] as string).trim().toLowerCase();
    if (type === HEALTH_JSON) health = Math.max(health, qOf(params));
    else if (type === 'application/json') json = Math.max(json, qOf(params));
    else if (type === 'application/*' || type === '*/*') anyJson = Math.max(anyJson, qOf(params));
  }
  // application/json's own q when named, else what a wildcard gives it.
  const jsonQ = json !== -1 ? json : anyJson;
  return health > 0 && health >= jsonQ;
}

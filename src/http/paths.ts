import type { Probe } from '../core/types.js';

/** What a request path is, for the probe contract. */
export type PathMatch =
  /** `/<probe>` (check undefined) or `/<probe>/<name>`. */
  | { readonly kind: 'probe'; readonly probe: Probe; readonly check: string | undefined }
  /** Under a probe path but not `/<probe>/<name>` (`/ready/a/b`): 404. */
  | { readonly kind: 'bad-path' }
  /** Under a probe path, with malformed percent-encoding (`/ready/%`): 400. */
  | { readonly kind: 'malformed' };

// Unreserved and sub-delim characters, `:` and `@` (RFC 3986 pchar without percent-encoding), in one or more segments.
const ROUTE_PATH = /^(\/[A-Za-z0-9._~!$&'()*+,;=:@-]+)+$/;

/**
 * The path rule of every path option (probe paths, `prefix`, the status page, metrics, the fleet's peer path): a
 * leading slash, no empty segment, no trailing slash, no query or fragment, nothing to percent-encode.
 */
export function isRoutePath(value: string): boolean {
  return ROUTE_PATH.test(value);
}

const BAD_PATH: PathMatch = Object.freeze({ kind: 'bad-path' });
const MALFORMED: PathMatch = Object.freeze({ kind: 'malformed' });
// One frozen match per probe for the plain hit: the hot path allocates nothing.
const PLAIN: Record<Probe, PathMatch> = {
  live: Object.freeze({ kind: 'probe', probe: 'live', check: undefined }),
  ready: Object.freeze({ kind: 'probe', probe: 'ready', check: undefined }),
  startup: Object.freeze({ kind: 'probe', probe: 'startup', check: undefined }),
};

/** Which part of the status page a path is, if any. */
export type PagePart = 'page' | 'css' | 'js';

/**
 * Which part of the status page served at `page` the request path `path` (no query) is: the page itself or one of
 * its two assets, each by its exact path (`/healthcare` is no part of a page at `/health`). `undefined` for any
 * other path, or when there is no status page.
 */
export function statusPagePart(page: string | undefined, path: string): PagePart | undefined {
  if (page === undefined || !path.startsWith(page)) return undefined;
  if (path.length === page.length) return 'page';
  if (path === `${page}/status.css`) return 'css';
  if (path === `${page}/status.js`) return 'js';
  return undefined;
}

/**
 * Splits `req.url` into path and query string (without `?`). An absolute-form target (`GET http://host/ready`,
 * which RFC 9112 section 3.2.2 says a server must accept) is reduced to its path, as Fastify's router does.
 */
export function splitUrl(url: string | undefined): [string, string] {
  if (url === undefined || url.length === 0) return ['/', ''];
  let target = url;
  if (target.charCodeAt(0) !== 47 /* / */) {
    const scheme = target.indexOf('://');
    if (scheme !== -1) {
      const slash = target.indexOf('/', scheme + 3);
      const query = target.indexOf('?', scheme + 3);
      if (slash === -1 || (query !== -1 && query < slash)) target = `/${query === -1 ? '' : target.slice(query)}`;
      else target = target.slice(slash);
    }
  }
  const q = target.indexOf('?');
  return q === -1 ? [target, ''] : [target.slice(0, q), target.slice(q + 1)];
}

/** `decodeURI` of one segment (reserved characters such as `%2F` stay encoded); `undefined` when malformed. */
function decodeSegment(segment: string): string | undefined {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURI(segment);
  } catch {
    return undefined;
  }
}

function decodeName(name: string): string | undefined {
  try {
    return decodeURIComponent(name);
  } catch {
    return undefined;
  }
}

/**
 * Matches a request path (no query string) against the probe paths, the same way for every adapter:
 * percent-encoded unreserved characters are decoded first (`/%72eady` is `/ready`, RFC 3986 section 6.2.2.2; an
 * encoded slash stays part of a segment), then `/<probe>` and `/<probe>/<name>` are looked up, the name decoded
 * once. Returns `undefined` for a path that is not the contract's. Linear in the path.
 */
export function matchProbePath(byPath: ReadonlyMap<string, Probe>, rawPath: string): PathMatch | undefined {
  if (!rawPath.includes('%')) return matchPlain(byPath, rawPath);
  const raw = rawPath.split('/');
  let malformed = false;
  const decoded = raw.map((segment) => {
    const d = decodeSegment(segment);
    if (d === undefined) malformed = true;
    return d ?? segment;
  });
  const path = decoded.join('/');
  const probe = byPath.get(path);
  if (probe !== undefined) return malformed ? MALFORMED : PLAIN[probe];
  if (raw.length < 3) return undefined;
  const parent = byPath.get(decoded.slice(0, -1).join('/'));
  if (parent !== undefined) {
    const check = decodeName(raw[raw.length - 1] as string);
    if (malformed || check === undefined) return MALFORMED;
    return { kind: 'probe', probe: parent, check };
  }
  return underProbe(byPath, path) ? (malformed ? MALFORMED : BAD_PATH) : undefined;
}

/** The common case, a path without `%`: no split, no allocation unless it names a check. */
function matchPlain(byPath: ReadonlyMap<string, Probe>, path: string): PathMatch | undefined {
  const probe = byPath.get(path);
  if (probe !== undefined) return PLAIN[probe];
  const slash = path.lastIndexOf('/');
  if (slash <= 0) return undefined;
  const parent = byPath.get(path.slice(0, slash));
  if (parent !== undefined) return { kind: 'probe', probe: parent, check: path.slice(slash + 1) };
  return underProbe(byPath, path) ? BAD_PATH : undefined;
}

/** `/ready/a/b`: under a probe path, but not a check name. */
function underProbe(byPath: ReadonlyMap<string, Probe>, path: string): boolean {
  for (const p of byPath.keys()) if (path.startsWith(`${p}/`)) return true;
  return false;
}

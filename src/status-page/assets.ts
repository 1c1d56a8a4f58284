// The status page's two browser files, browser/page.js and browser/page.css: real files (linted as such), read from
// next to this module (src/status-page/browser when run from source, dist/src/status-page/browser once built: the
// build copies them there). Read when first asked for, not when the module loads: importing the package never
// touches them, and a build that lacks them fails only the two asset requests, with the path it looked at.
import { readFileSync } from 'node:fs';

/** The status page's script (`<path>/status.js`) and stylesheet (`<path>/status.css`), as served. */
export interface StatusAssets {
  readonly js: string;
  readonly css: string;
}

/**
 * Reads browser/page.js and browser/page.css. Reads the files on each call: call it once and keep the result (an
 * adapter's endpoint does, on the first request for either).
 * @throws the file system's error (e.g. `ENOENT`, naming the path) when the build did not copy them.
 */
export function readStatusAssets(): StatusAssets {
  const read = (name: string): string => readFileSync(new URL(`./browser/${name}`, import.meta.url), 'utf8');
  return Object.freeze({ js: read('page.js'), css: read('page.css') });
}

/** The headers of `<path>/status.css`. Shared and frozen. */
export const STATUS_CSS_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/css; charset=utf-8',
  'cache-control': 'no-cache',
  'x-content-type-options': 'nosniff',
});

/** The headers of `<path>/status.js`. Shared and frozen. */
export const STATUS_JS_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/javascript; charset=utf-8',
  'cache-control': 'no-cache',
  'x-content-type-options': 'nosniff',
});

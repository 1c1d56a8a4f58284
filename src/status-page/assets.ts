// The status page's two browser files, browser/page.js and browser/page.css: real files (linted as such), read once
// when this module loads, from next to it (src/status-page/browser when run from source, dist/src/status-page/browser
// once built: the build copies them there).
import { readFileSync } from 'node:fs';

const read = (name: string): string => readFileSync(new URL(`./browser/${name}`, import.meta.url), 'utf8');

/** The status page's script, served at `<path>/status.js` (browser/page.js). */
export const STATUS_JS: string = read('page.js');

/** The status page's stylesheet, served at `<path>/status.css` (browser/page.css). */
export const STATUS_CSS: string = read('page.css');

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

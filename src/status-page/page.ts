// The status page: one server-rendered HTML document, a stylesheet and a script served from the page's
// own path, nothing from anywhere else. It works under `Content-Security-Policy: default-src 'self'`: no inline
// script, no inline style, no `style` attribute, no event handler attribute; without JavaScript it refreshes itself.
import { InvalidOptionError } from '../core/errors.js';
import { absoluteTime, escapeHtml, notesHtml, probesHtml, rowsHtml, summaryText, titleText } from './html.js';
import { HISTORY_SLOTS, type PageModel } from './model.js';

/** The page without its rows: what the document around the table shows. */
export type PageHead = Omit<PageModel, 'checks'>;

export { readStatusAssets, STATUS_CSS_HEADERS, STATUS_JS_HEADERS, type StatusAssets } from './assets.js';
export type {
  PageCheck,
  PageMessage,
  PageModel,
  PageModelMessage,
  PageRun,
  PageRunTuple,
  PageStreamCheck,
  PageUpdateMessage,
} from './model.js';
export { HISTORY_SLOTS, pageModel } from './model.js';

/** Options of {@link renderStatusPage}. */
export interface StatusPageOptions {
  /** Path the page is served at, e.g. `/health`; its assets are `<path>/status.css` and `<path>/status.js`. */
  path: string;
  /** Seconds between reloads when JavaScript is off (`<noscript>` meta refresh). Default 5. */
  refreshSeconds?: number;
}

/** The headers of the page: HTML, never cached, and the policy it is built for. Shared and frozen. */
export const STATUS_HTML_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  // Its own origin only, and no framing (clickjacking), no <base> and no forms: the page needs none of them.
  'content-security-policy': "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
});

const PATH_RE = /^(\/[A-Za-z0-9._~!$&'()*+,;=:@-]+)+$/;

function base(path: string): string {
  // `/` would make the assets `//status.css`, a URL of another host: the page serves from a path below the root.
  if (typeof path === 'string' && PATH_RE.test(path)) return path;
  throw new InvalidOptionError(
    `Expected the status page \`path\` to be a path like \`/health\` (leading slash, no trailing slash, no query), got \`${JSON.stringify(path)}\``,
  );
}

function refresh(seconds: number | undefined): number {
  const s = seconds ?? 5;
  if (Number.isInteger(s) && s >= 1 && s <= 3600) return s;
  throw new InvalidOptionError(`Expected \`refreshSeconds\` to be an integer from 1 to 3600, got \`${String(seconds)}\``);
}

const LEGEND: readonly [string, string][] = [
  ['success', 'success'],
  ['failure', 'failure'],
  ['timeout', 'timeout'],
  ['pending', 'skipped: previous run still pending'],
];

function legendHtml(): string {
  const items = LEGEND.map(([r, text]) => `<span class="legend-item"><i class="r r-${r} n1"></i>${escapeHtml(text)}</span>`);
  return `<p class="legend">${items.join('')}<span class="legend-item">newest on the right; hover a strip for its counts</span></p>`;
}

/**
 * The whole status page for a model: a complete HTML document. Pure. Every text from the model is escaped; the
 * page loads `<path>/status.css` and `<path>/status.js` (serve {@link readStatusAssets}'s files there), and
 * the script follows `<path>?watch`, a `text/event-stream` of {@link PageMessage}s as JSON: the whole model first,
 * then the checks that changed, and compactly the ones that only ran.
 * @throws InvalidOptionError when `path` is not a path like `/health`, or `refreshSeconds` is not an integer from 1 to 3600.
 */
export function renderStatusPage(model: PageModel, options: StatusPageOptions): string {
  return pageDocument(model, summaryText(model), rowsHtml(model), options);
}

/**
 * The document around rows rendered already (the status page's cache keeps each row's markup), with the summary
 * line of all checks. {@link renderStatusPage} is this with the rows of a model.
 * @throws InvalidOptionError as {@link renderStatusPage} does.
 */
export function pageDocument(model: PageHead, summary: string, rows: string, options: StatusPageOptions): string {
  const [before, after] = pageAround(model, summary, options);
  return before + rows + after;
}

/**
 * The document before the rows and after them: {@link pageDocument} is `before + rows + after`. The status page's
 * cache joins the two with the rows' pieces in one go, so that a GET after a run copies the page once.
 * @throws InvalidOptionError as {@link renderStatusPage} does.
 */
export function pageAround(model: PageHead, summary: string, options: StatusPageOptions): [before: string, after: string] {
  const path = base(options.path);
  const seconds = refresh(options.refreshSeconds);
  const p = escapeHtml(path);
  const g = escapeHtml(model.generatedAt);
  const withheld = model.details ? '' : ' Error text is withheld on this page.';
  const before = `<!doctype html>
<html lang="en" data-now="${g}" data-refresh="${seconds}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(titleText(model))}</title>
<noscript><meta http-equiv="refresh" content="${seconds}"></noscript>
<link rel="stylesheet" href="${p}/status.css">
<script src="${p}/status.js" defer></script>
</head>
<body>
<header class="top">
<div class="brand"><h1>Health</h1><p id="summary" class="summary">${escapeHtml(summary)}</p></div>
<div id="probes" class="probes">${probesHtml(model)}</div>
<p class="meta"><span id="conn" class="conn conn-static">refreshes every ${seconds} s</span><span class="updated">updated <time id="updated">${escapeHtml(absoluteTime(model.generatedAt))}</time></span></p>
</header>
<main>
<div id="notes" class="notes">${notesHtml(model)}</div>
<div class="table-wrap">
<table class="checks">
<thead><tr><th>Check</th><th>Status</th><th>Since</th><th>Last run</th><th>Duration</th><th title="consecutive successes and failures">Streak</th><th>Output</th><th>Last ${HISTORY_SLOTS} runs</th></tr></thead>
<tbody id="checks">`;
  const after = `</tbody>
</table>
</div>
${legendHtml()}
<p class="foot">Live from <code>${p}?watch</code>.${withheld}</p>
</main>
</body>
</html>
`;
  return [before, after];
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { JSON_HEADERS, type ProbeResponse } from '../core/aggregate.js';
import type { HealthCore } from '../core/health.js';
import type { Probe } from '../core/types.js';
import { PageFeed } from '../status-page/feed.js';
import { readStatusAssets, STATUS_CSS_HEADERS, STATUS_HTML_HEADERS, STATUS_JS_HEADERS } from '../status-page/page.js';
import { detailsFor, type NormalizedHttp, type ProbeQuery, respond } from './contract.js';
import { type PagePart, statusPagePart } from './paths.js';
import { HEARTBEAT_MS, WatchHub } from './watch.js';

/** The 500 of a status page asset that cannot be read, naming why (a path of the package, not of the request). */
function missingAsset(err: unknown): ProbeResponse {
  const message = `status page asset unreadable: ${err instanceof Error ? err.message : String(err)}`;
  return { statusCode: 500, status: 'error', headers: JSON_HEADERS, body: JSON.stringify({ status: 'error', message }) };
}

function asset(headers: Readonly<Record<string, string>>, body: string): ProbeResponse {
  return Object.freeze({ statusCode: 200, status: 'pass', headers, body });
}

export type { PagePart } from './paths.js';

/**
 * One adapter's live parts over the stateless contract: its watch streams (at most `maxWatchers`, ended by the
 * shutdown's drain) and its status page, rendered from a cached model updated per changed check. The Fastify
 * plugin, the Express router and `attach()` each make one.
 */
export class Endpoint<Req> {
  private readonly hub: WatchHub | undefined;
  private readonly removeTarget: () => void;
  private feed: PageFeed | undefined;
  /** The page's stylesheet and script, read on the first request for either. */
  private assets: { css: ProbeResponse; js: ProbeResponse } | undefined;

  constructor(
    readonly health: HealthCore,
    readonly http: NormalizedHttp<Req>,
  ) {
    this.hub = http.maxWatchers > 0 ? new WatchHub(health, http.maxWatchers, HEARTBEAT_MS, http.watchInterval) : undefined;
    // The hub is a participant of its own, whichever face was wired first: its streams end when the drain starts.
    this.removeTarget = this.hub ? health.addDrainTarget(this.hub, 'watch streams') : () => {};
  }

  /** Which status page part `path` is (decoded, no query), or `undefined`. */
  pagePart(path: string): PagePart | undefined {
    return statusPagePart(this.http.statusPage, path);
  }

  /**
   * Answers a probe request, as a stream when `?watch` asks for one (GET only). `send` writes a one-off answer the
   * way the adapter writes (Fastify's reply or the raw response).
   */
  probe(
    probe: Probe,
    check: string | undefined,
    query: ProbeQuery,
    accept: string | undefined,
    request: Req,
    raw: { req: IncomingMessage; res: ServerResponse } | undefined,
  ): ProbeResponse | undefined {
    const pr = { check, verbose: query.verbose, exclude: query.exclude, accept };
    if (query.watch && raw !== undefined && this.hub !== undefined && raw.req.method === 'GET') {
      // The stream carries the JSON answer, whatever Accept or ?verbose say: one event is one line of JSON.
      const json = { ...pr, verbose: false, accept: undefined };
      // A check that is not there is the plain GET's 404, not a stream (and takes no watcher slot).
      if (respond(this.health, this.http, probe, json, request).status === 'error') {
        return respond(this.health, this.http, probe, pr, request);
      }
      const health = this.health;
      const feed = {
        key: check === undefined ? () => health.substanceOf(probe) : () => health.substanceOf(undefined, check),
        render: () => respond(health, this.http, probe, json, request).body,
      };
      if (this.hub.open(raw.req, raw.res, feed)) return undefined;
    }
    return respond(this.health, this.http, probe, pr, request);
  }

  /** Answers a status page request (the page, its script, its stylesheet, or its `?watch` stream). */
  page(
    part: PagePart,
    watch: boolean,
    request: Req,
    raw: { req: IncomingMessage; res: ServerResponse } | undefined,
  ): ProbeResponse | undefined {
    if (part === 'css' || part === 'js') {
      if (this.assets === undefined) {
        let files: { css: string; js: string };
        try {
          files = readStatusAssets();
        } catch (err) {
          // A build that did not copy the browser files: this request fails, the server does not (read again next time).
          return missingAsset(err);
        }
        this.assets = { css: asset(STATUS_CSS_HEADERS, files.css), js: asset(STATUS_JS_HEADERS, files.js) };
      }
      return this.assets[part];
    }
    const details = detailsFor(this.http.details, request);
    this.feed ??= new PageFeed(this.health);
    if (watch && raw !== undefined && this.hub !== undefined && raw.req.method === 'GET') {
      if (this.hub.open(raw.req, raw.res, this.feed.stream(details))) return undefined;
    }
    const body = this.feed.html(details, this.http.statusPage as string);
    return { statusCode: 200, status: 'pass', headers: STATUS_HTML_HEADERS, body };
  }

  /** Ends the streams and stops listening (the adapter is removed or its app closed). */
  close(): void {
    this.hub?.close();
    this.removeTarget();
  }
}

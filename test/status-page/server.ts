// A minimal node:http server for the status page, for the browser test: the page, its two assets and its watch
// stream, every answer under `Content-Security-Policy: default-src 'self'`. It records every request it receives,
// and the CSP violation reports the browser sends (same origin, `report-uri`).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Health } from '../../src/health.js';
import { PageFeed } from '../../src/status-page/feed.js';
import { pageModel, readStatusAssets, renderStatusPage } from '../../src/status-page/page.js';

export const PAGE_PATH = '/health';
export const CSP_REPORT_PATH = '/csp-report';
/** The policy the page must work under, plus a same-origin report address, so that a violation is seen. */
export const CSP = `default-src 'self'; report-uri ${CSP_REPORT_PATH}`;

export interface StatusServer {
  readonly origin: string;
  /** `METHOD path?query` of every request, in order. */
  readonly requests: string[];
  /** The bodies of the CSP violation reports received. */
  readonly cspReports: string[];
  /** Messages sent on the watch streams so far. */
  readonly messages: () => number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, type: string | undefined, body: string): void {
  const headers: Record<string, string> = { 'content-security-policy': CSP, 'cache-control': 'no-store' };
  if (type !== undefined) headers['content-type'] = type;
  res.writeHead(status, headers);
  res.end(body);
}

/** How {@link serveStatusPage} serves. */
export interface ServeOptions {
  /** The error-text policy of the page and its stream. */
  details: boolean;
  /**
   * End each watch stream after this many messages, telling the browser to come back only in an hour. Headless
   * Chromium's virtual time stands still while a response is still loading, so a stream that stays open would keep
   * `--virtual-time-budget` from ever running out. Default: never end it.
   */
  endAfter?: number;
  /** The page's `refreshSeconds`. Default the page's (5). */
  refreshSeconds?: number;
}

/** Serves `health`'s status page at {@link PAGE_PATH} on a loopback port. */
export async function serveStatusPage(health: Health, options: ServeOptions): Promise<StatusServer> {
  const { details, endAfter, refreshSeconds } = options;
  const requests: string[] = [];
  const cspReports: string[] = [];
  let messages = 0;
  const streams = new Set<ServerResponse>();

  const watch = (req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      'content-security-policy': CSP,
    });
    let sent = 0;
    // The library's own stream content: the whole model first, then the checks that changed.
    const feed = new PageFeed(health).stream(details);
    const stop = (): void => {
      health.off('run', push);
      streams.delete(res);
    };
    const push = (): void => {
      const message = feed.render(true);
      if (message === undefined) return;
      messages++;
      sent++;
      res.write(`data: ${message}\n\n`);
      if (endAfter !== undefined && sent >= endAfter) {
        stop();
        res.end();
      }
    };
    if (endAfter !== undefined) res.write('retry: 3600000\n\n');
    streams.add(res);
    health.on('run', push);
    req.on('close', stop);
    push();
  };

  const { css, js } = readStatusAssets();
  const server = createServer((req, res) => {
    const url = req.url ?? '';
    requests.push(`${req.method} ${url}`);
    if (req.method === 'POST' && url === CSP_REPORT_PATH) {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => {
        body += c;
      });
      req.on('end', () => {
        cspReports.push(body);
        send(res, 204, undefined, '');
      });
      return;
    }
    if (req.method !== 'GET') return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    if (url === PAGE_PATH) {
      const page = refreshSeconds === undefined ? { path: PAGE_PATH } : { path: PAGE_PATH, refreshSeconds };
      const html = renderStatusPage(pageModel(health.snapshot(), details), page);
      return send(res, 200, 'text/html; charset=utf-8', html);
    }
    if (url === `${PAGE_PATH}?watch`) return watch(req, res);
    if (url === `${PAGE_PATH}/status.css`) return send(res, 200, 'text/css; charset=utf-8', css);
    if (url === `${PAGE_PATH}/status.js`) return send(res, 200, 'text/javascript; charset=utf-8', js);
    if (url === '/favicon.ico') return send(res, 204, undefined, '');
    send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    cspReports,
    messages: () => messages,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of streams) s.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// Where `probekit watch` gets an endpoint's answers: the server's watch stream (`GET <url>?watch`, text/event-stream,
// each event's data the probe's JSON body) when it offers one, else the plain JSON, polled. A server that does not
// know `?watch` answers it with the plain JSON, which then counts as the first poll: no request is wasted.
import type { Agent, IncomingMessage } from 'node:http';
import { type RequestSettings, type StatusSet, statusAccepted } from './args.js';
import { describe } from './errors.js';
import { httpGet, now, openRequest, readBody } from './http-client.js';
import { parseHealthBody } from './report.js';
import { SseParser } from './sse.js';
import type { Update } from './watch-model.js';

/** What one endpoint's source needs. */
export interface SourceOptions {
  readonly url: URL;
  readonly settings: RequestSettings;
  readonly expect: StatusSet;
  /** From the start of one poll to the start of the next; also the wait before reconnecting. */
  readonly intervalMs: number;
  /** Ask for the watch stream first. Default true; `--poll` turns it off. */
  readonly stream: boolean;
  /** A stream without a byte for this long is taken for dead (the server sends a comment every 15 s). */
  readonly staleMs: number;
  readonly onUpdate: (update: Update) => void;
  readonly signal: AbortSignal;
}

const MAX_BODY_BYTES = 1024 * 1024;
const ACCEPT_JSON = 'application/json, */*;q=0.5';

/** `url` with `watch` added to its query (`?watch`, or `&watch` after an existing query). */
export function watchUrl(url: URL): URL {
  const out = new URL(url.href);
  out.search = url.search === '' ? '?watch' : `${url.search}&watch`;
  return out;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal.addEventListener('abort', done, { once: true });
  });
}

function answer(
  o: SourceOptions,
  mode: 'sse' | 'poll',
  statusCode: number | undefined,
  text: string,
  latencyMs?: number,
): Extract<Update, { mode: unknown }> {
  return {
    at: Date.now(),
    mode,
    statusCode,
    accepted: statusCode === undefined || statusAccepted(o.expect, statusCode),
    body: parseHealthBody(text),
    latencyMs,
  };
}

/**
 * An answer that is an error of the server's (`{"status":"error"}`, e.g. the 404 of a check that is not there), not
 * a probe answer: shown as an error, never as pass.
 */
function serverError(update: Extract<Update, { mode: unknown }>): Update | undefined {
  if (update.body?.status !== 'error') return undefined;
  const code = update.statusCode === undefined ? '' : `HTTP ${update.statusCode}: `;
  return { at: update.at, error: `${code}the server answered an error, not a probe answer` };
}

/** Reads events until the stream ends, goes stale, or `signal` aborts. Returns the server's `retry:`, if any. */
function consume(o: SourceOptions, res: IncomingMessage): Promise<number | undefined> {
  const parser = new SseParser();
  return new Promise((resolve) => {
    let stale = setTimeout(() => end('the watch stream went silent'), o.staleMs);
    let ended = false;
    const end = (why?: string) => {
      if (ended) return;
      ended = true;
      clearTimeout(stale);
      o.signal.removeEventListener('abort', onAbort);
      res.destroy();
      if (why !== undefined && !o.signal.aborted) o.onUpdate({ at: Date.now(), error: why });
      resolve(parser.retryMs);
    };
    const onAbort = () => end();
    o.signal.addEventListener('abort', onAbort, { once: true });
    res.on('data', (chunk: Buffer) => {
      clearTimeout(stale);
      stale = setTimeout(() => end('the watch stream went silent'), o.staleMs);
      try {
        for (const event of parser.push(chunk)) {
          if (event.type !== 'message') continue;
          const update = answer(o, 'sse', undefined, event.data);
          o.onUpdate(serverError(update) ?? update);
        }
      } catch (err) {
        end(describe(err));
      }
    });
    res.on('end', () => end('the watch stream ended'));
    res.on('error', (err) => end(describe(err)));
    res.on('close', () => end('the watch stream closed'));
  });
}

/**
 * Watches one endpoint until `signal` aborts, reporting every answer and every failure through `onUpdate`.
 * Never rejects.
 */
export async function runSource(o: SourceOptions): Promise<void> {
  const { signal, settings } = o;
  // undefined: not known yet; asked again after a failure, since a restarted server may be a new version.
  let streams: boolean | undefined = o.stream ? undefined : false;
  let agent: Agent | undefined;
  const poll = async () => {
    if (agent === undefined) {
      const mod = o.url.protocol === 'https:' ? await import('node:https') : await import('node:http');
      agent = new mod.Agent({ keepAlive: true, maxSockets: 1 });
    }
    const a = await httpGet({ url: o.url, settings, accept: ACCEPT_JSON, agent, signal }, MAX_BODY_BYTES);
    const update = answer(o, 'poll', a.statusCode, a.body, a.totalMs);
    o.onUpdate(serverError(update) ?? update);
  };
  while (!signal.aborted) {
    const started = Date.now();
    let wait = o.intervalMs;
    try {
      if (streams === false) await poll();
      else {
        const t0 = now();
        const open = await openRequest({ url: watchUrl(o.url), settings, accept: 'text/event-stream', signal });
        if (/^text\/event-stream\b/i.test(String(open.res.headers['content-type'] ?? ''))) {
          streams = true;
          const retry = await consume(o, open.res);
          if (retry !== undefined) wait = Math.min(Math.max(retry, 100), 60_000);
        } else {
          streams = false;
          const left = settings.timeoutMs - open.headersMs;
          const { body } = await readBody(open.res, MAX_BODY_BYTES, left, signal);
          const update = answer(o, 'poll', open.res.statusCode, body, now() - t0);
          // A JSON answer that is no probe answer (`{"status":"error","message":"Too many watchers"}`) says nothing
          // about the checks: poll the plain URL at once instead of showing it.
          const word = update.body?.status;
          const code = open.res.statusCode ?? 0;
          // A 4xx (a check that is not there) is an error of the URL itself; a 503 or 429 may pass.
          if (word === 'error' && code >= 400 && code < 500 && code !== 429) o.onUpdate(serverError(update) ?? update);
          else if (word !== undefined && word !== 'pass' && word !== 'warn' && word !== 'fail') wait = 0;
          else o.onUpdate(update);
        }
      }
    } catch (err) {
      if (signal.aborted) break;
      o.onUpdate({ at: Date.now(), error: describe(err) });
      if (o.stream) streams = undefined;
    }
    // Polls run from start to start; a stream that ended is retried after a full interval (or its `retry:`).
    await sleep(streams === true ? wait : wait - (Date.now() - started), signal);
  }
  agent?.destroy();
}

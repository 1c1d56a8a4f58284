// Where `probekit watch` gets an endpoint's answers: the server's watch stream (`GET <url>?watch`, text/event-stream,
// each event's data the probe's JSON body) when it offers one, else the plain JSON, polled. A server that does not
// know `?watch` answers it with the plain JSON, which then counts as the first poll: no request is wasted.
import type { Agent, IncomingMessage } from 'node:http';
import { type RequestSettings, type StatusSet, statusAccepted } from './args.js';
import { describe, TooLargeError } from './errors.js';
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

/** The words of a probe answer; anything else in `status` (`error`) says nothing about the checks. */
function isProbeWord(word: string | undefined): boolean {
  return word === 'pass' || word === 'warn' || word === 'fail';
}

/** An error update for an answer that is no probe answer: what answered, and the server's message if it gave one. */
function notAnAnswer(what: string, update: Extract<Update, { mode: unknown }>): Update {
  const said = update.body?.message ?? update.body?.reason;
  return { at: update.at, error: `${what}${said === undefined ? '' : `: ${said}`}` };
}

/** How a stream ended: the server's `retry:`, and whether the endpoint is to be watched no more. */
interface StreamEnd {
  readonly retry: number | undefined;
  readonly fatal: boolean;
}

/** Reads events until the stream ends, goes stale, or `signal` aborts. */
function consume(o: SourceOptions, res: IncomingMessage): Promise<StreamEnd> {
  const parser = new SseParser();
  return new Promise((resolve) => {
    let stale = setTimeout(() => end('the watch stream went silent'), o.staleMs);
    let ended = false;
    const end = (why?: string, fatal = false) => {
      if (ended) return;
      ended = true;
      clearTimeout(stale);
      o.signal.removeEventListener('abort', onAbort);
      res.destroy();
      if (why !== undefined && !o.signal.aborted) o.onUpdate({ at: Date.now(), error: why });
      resolve({ retry: parser.retryMs, fatal });
    };
    const onAbort = () => end();
    o.signal.addEventListener('abort', onAbort, { once: true });
    res.on('data', (chunk: Buffer) => {
      if (ended) return;
      clearTimeout(stale);
      stale = setTimeout(() => end('the watch stream went silent'), o.staleMs);
      try {
        for (const event of parser.push(chunk)) {
          if (event.type !== 'message') continue;
          const update = answer(o, 'sse', undefined, event.data);
          // An event that is no probe answer (`{"status":"error",...}`) is never shown as passing.
          o.onUpdate(isProbeWord(update.body?.status) ? update : notAnAnswer('the watch stream sent no probe answer', update));
        }
      } catch (err) {
        // Past the size limit a reconnection would get the same: this endpoint is watched no more.
        if (err instanceof TooLargeError) end(`${err.message}; no longer watched`, true);
        else end(describe(err));
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
    // probekit's own error answers (a 404 for a check that is gone) are errors, not a verdict on the checks.
    o.onUpdate(update.body?.status === 'error' ? notAnAnswer(`answered ${a.statusCode}`, update) : update);
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
          const ended = await consume(o, open.res);
          if (ended.fatal) break;
          if (ended.retry !== undefined) wait = Math.min(Math.max(ended.retry, 100), 60_000);
        } else {
          const left = settings.timeoutMs - open.headersMs;
          const { body } = await readBody(open.res, {
            maxBytes: MAX_BODY_BYTES,
            deadlineMs: left,
            timeoutMs: settings.timeoutMs,
            signal,
          });
          const code = open.res.statusCode ?? 0;
          const update = answer(o, 'poll', code, body, now() - t0);
          const word = update.body?.status;
          if (isProbeWord(word)) {
            // A server without the stream (or with watching off) answered the plain probe: the first poll.
            streams = false;
            o.onUpdate(update);
          } else if (code === 200 || code === 503) {
            streams = false;
            // A JSON answer that is no probe answer (`{"status":"error","message":"Too many watchers"}`) says
            // nothing about the checks: poll the plain URL at once instead of showing it. Without a word (not
            // probekit JSON), `--expect-status` judges the code, as for any poll.
            if (word !== undefined) wait = 0;
            else o.onUpdate(update);
          } else {
            // A 404 (no such check), a 400, a 3xx...: an error, never a verdict; `?watch` is asked again next time.
            o.onUpdate(notAnAnswer(`GET ?watch answered ${code}`, update));
          }
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

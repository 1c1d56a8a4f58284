// One HTTP(S) GET with the probe's deadlines and phases: an error before the connection is up (TCP, and TLS for
// https) is a ConnectError, one after it a RequestError. node:https (and with it node:tls) is loaded only for an
// https URL: it costs start-up time that a plain-HTTP exec probe should not pay. Both come through
// getBuiltinModule rather than `import`, which would build an ESM facade reading every export (see args.ts).
import type { Agent, ClientRequest, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { formatDuration, type RequestSettings } from './args.js';
import { CliError, ConnectError, describe, RequestError } from './errors.js';

/**
 * Monotonic milliseconds. Not `performance.now()`: the first touch of the `performance` global loads perf_hooks,
 * about 1.5 ms of every exec probe.
 */
export function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** What {@link openRequest} needs. */
export interface RequestTarget {
  readonly url: URL;
  readonly settings: RequestSettings;
  /** The `Accept` header, unless `--header` sets one. */
  readonly accept: string;
  /** Default `false`: a connection of its own, closed after the answer. */
  readonly agent?: Agent | false;
  /** Aborting it cancels the request; the reason becomes the error text (`cancelled by SIGTERM`). */
  readonly signal?: AbortSignal;
  /** Called once the connection is made: from then on a failure is a request failure. */
  readonly onConnect?: () => void;
}

/** A response whose headers are in; the body has not been read. */
export interface OpenResponse {
  readonly res: IncomingMessage;
  readonly request: ClientRequest;
  /** From the start to the connection (0 for a reused keep-alive connection). */
  readonly connectMs: number;
  /** From the start to the response headers. */
  readonly headersMs: number;
}

/** A response read to its end, or as far as the limits allowed. */
export interface HttpAnswer {
  readonly statusCode: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The body was cut at `maxBodyBytes` (a body that stalls or breaks off is a RequestError instead). */
  readonly partial: boolean;
  readonly connectMs: number;
  readonly totalMs: number;
}

function isTlsError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^ERR_(SSL|TLS)_|CERT|SELF_SIGNED|UNABLE_TO_|DEPTH_ZERO/.test(code);
}

function headerObject(settings: RequestSettings, accept: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of settings.headers) {
    const key = name.toLowerCase();
    const previous = headers[key];
    // A repeated --header joins its values, as a list header is sent.
    headers[key] = previous === undefined ? value : `${previous}, ${value}`;
  }
  headers['user-agent'] ??= settings.userAgent;
  headers.accept ??= accept;
  return headers;
}

/**
 * Sends a GET and resolves when the response headers are in, within the settings' deadlines (the connection
 * within `connectTimeoutMs`, the headers within `timeoutMs` of the start). No redirect is followed.
 * @throws ConnectError when the connection (TCP, TLS) fails or times out; RequestError when the request does.
 */
export function openRequest(target: RequestTarget): Promise<OpenResponse> {
  const { url, settings, signal } = target;
  const secure = url.protocol === 'https:';
  const { request } = process.getBuiltinModule(secure ? 'node:https' : 'node:http');
  const started = now();
  return new Promise<OpenResponse>((resolve, reject) => {
    let connected = false;
    let connectMs = 0;
    const fail = (err: CliError) => req.destroy(err);
    const connectTimer = setTimeout(
      () => fail(new ConnectError(`no connection within ${formatDuration(settings.connectTimeoutMs)}`, true)),
      settings.connectTimeoutMs,
    );
    const timer = setTimeout(
      () =>
        fail(
          connected
            ? new RequestError(`no answer within ${formatDuration(settings.timeoutMs)}`, true)
            : new ConnectError(`no connection within ${formatDuration(settings.timeoutMs)}`, true),
        ),
      settings.timeoutMs,
    );
    const onAbort = () => {
      const why = `cancelled by ${String(signal?.reason ?? 'abort')}`;
      fail(connected ? new RequestError(why) : new ConnectError(why));
    };
    const done = () => {
      clearTimeout(connectTimer);
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const req = request(url, {
      method: 'GET',
      headers: headerObject(settings, target.accept),
      agent: target.agent ?? false,
      ...settings.tls,
    });
    const onConnected = () => {
      connected = true;
      connectMs = now() - started;
      clearTimeout(connectTimer);
      target.onConnect?.();
    };
    req.on('socket', (socket: Socket) => {
      if (socket.connecting) socket.once(secure ? 'secureConnect' : 'connect', onConnected);
      else onConnected();
    });
    req.on('error', (err) => {
      done();
      if (err instanceof CliError) reject(err);
      else if (!connected || isTlsError(err)) reject(new ConnectError(describe(err), false, { cause: err }));
      else reject(new RequestError(describe(err), false, { cause: err }));
    });
    req.on('response', (res) => {
      done();
      if (!connected) onConnected();
      resolve({ res, request: req, connectMs, headersMs: now() - started });
    });
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    req.end();
  });
}

/** What {@link readBody} needs besides the response. */
export interface BodyLimits {
  /** Past this many bytes the body is cut (and the connection closed): not a failure, the answer is in. */
  readonly maxBytes: number;
  /** Time left for the body, in ms. */
  readonly deadlineMs: number;
  /** The whole deadline (`--timeout`), for the message when the body runs past it. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

/** The start of the failure text when the status line came but the body did not. */
function midBody(res: IncomingMessage): string {
  return `answered ${res.statusCode ?? '?'} but`;
}

/**
 * Reads a body up to `maxBytes` (then cuts it: `partial`), within the deadline. A body that stalls past the deadline
 * or a connection that breaks before its end is a failed request, whatever the status said: the kubelet's prober
 * and curl (28, 56) read it so too, and a half answer is no evidence of health.
 * @throws RequestError when the deadline passes first (timed out), the connection breaks mid-body, or `signal` aborts.
 */
export function readBody(res: IncomingMessage, limits: BodyLimits): Promise<{ body: string; partial: boolean }> {
  const { maxBytes, signal } = limits;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = () => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      return true;
    };
    const finish = (partial: boolean) => {
      if (!settle()) return;
      if (partial) res.destroy();
      resolve({ body: Buffer.concat(chunks).toString('utf8'), partial });
    };
    const fail = (err: RequestError) => {
      if (!settle()) return;
      res.destroy();
      reject(err);
    };
    const onAbort = () => fail(new RequestError(`cancelled by ${String(signal?.reason ?? 'abort')}`));
    const broken = (err?: unknown) => {
      const why = err === undefined ? 'closed' : ((err as { code?: unknown }).code ?? describe(err));
      fail(new RequestError(`${midBody(res)} the connection broke before the body ended (${String(why)})`, false));
    };
    const timer = setTimeout(
      () => fail(new RequestError(`${midBody(res)} the body did not end within ${formatDuration(limits.timeoutMs)}`, true)),
      Math.max(0, limits.deadlineMs),
    );
    res.on('data', (chunk: Buffer) => {
      const room = maxBytes - size;
      chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
      size += chunk.length;
      if (size >= maxBytes) finish(true);
    });
    res.on('end', () => finish(false));
    res.on('error', broken);
    res.on('aborted', () => broken());
    // A close without 'end' is a body cut short, whichever event said so first.
    res.on('close', () => {
      if (!res.complete) broken();
    });
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * One GET read to its end (at most `maxBodyBytes`), the whole exchange within `settings.timeoutMs`.
 * @throws ConnectError or RequestError, as {@link openRequest} and {@link readBody}.
 */
export async function httpGet(target: RequestTarget, maxBodyBytes: number): Promise<HttpAnswer> {
  const started = now();
  const open = await openRequest(target);
  const left = target.settings.timeoutMs - (now() - started);
  const { body, partial } = await readBody(open.res, {
    maxBytes: maxBodyBytes,
    deadlineMs: left,
    timeoutMs: target.settings.timeoutMs,
    signal: target.signal,
  });
  return {
    statusCode: open.res.statusCode ?? 0,
    headers: open.res.headers,
    body,
    partial,
    connectMs: open.connectMs,
    totalMs: now() - started,
  };
}

import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Http2SecureServer, Http2Server, ServerHttp2Session } from 'node:http2';
import type { DrainTarget, OpenWork } from '../core/drain-target.js';
import { markClose, type ProbeLike } from './drain.js';

/** A `node:http2` server, plain or TLS. */
export type AnyHttp2Server = Http2Server | Http2SecureServer;

/** True for a `node:http2` server (only those have `updateSettings`; node:http ones have `closeIdleConnections`). */
export function isHttp2Server(server: unknown): server is AnyHttp2Server {
  return typeof (server as Partial<Http2Server> | null)?.updateSettings === 'function';
}

/**
 * Follows one `node:http2` server's sessions so that it can be drained without dropping a stream: at the signal each
 * session gets a GOAWAY (the client opens no new stream there and goes elsewhere, the streams in flight finish);
 * at the drain the server stops accepting and every session closes once its streams are done.
 * It costs one listener per session; nothing per stream until the signal. Sessions opened before `attach()` are not
 * seen (Node keeps no list of them), but the drain still waits for them through the server's `close` callback.
 */
export class Http2Tracker implements DrainTarget {
  private readonly sessions = new Set<ServerHttp2Session>();
  private idleWaiters: (() => void)[] = [];
  private announced = false;
  private closed: Promise<void> | null = null;
  private readonly onSession = (session: ServerHttp2Session) => {
    this.sessions.add(session);
    session.once('close', () => {
      this.sessions.delete(session);
      if (this.sessions.size === 0) for (const w of this.idleWaiters.splice(0)) w();
    });
    // A session opened after the signal serves the stream it came for, then goes away too (as an HTTP/1
    // connection then serves one answer with `Connection: close`).
    if (this.announced) session.once('stream', () => goAway(session));
  };
  /**
   * A request of the compatibility API after the signal: an HTTP/1 one (`allowHTTP1`) closes its connection after the
   * answer; with `envoy`, every answer says `x-envoy-immediate-health-check-fail: true`.
   */
  private readonly onHttp1Request = (req: IncomingMessage, res: ServerResponse) => {
    if (req.httpVersionMajor === 1) markClose(res, this.envoy);
    else if (this.envoy && !res.headersSent) res.setHeader('x-envoy-immediate-health-check-fail', 'true');
  };

  /**
   * @param isProbe Tells probe streams from traffic, for {@link watchTraffic}.
   * @param envoy From the signal on, every answer also says `x-envoy-immediate-health-check-fail: true`.
   */
  constructor(
    readonly server: AnyHttp2Server,
    private readonly isProbe: (req: ProbeLike) => boolean = () => false,
    private readonly envoy = false,
  ) {
    server.on('session', this.onSession);
  }

  /** Calls `onTraffic` for every stream that is not a probe, until the returned function is called. */
  watchTraffic(onTraffic: () => void): () => void {
    const listener = (_stream: unknown, headers: IncomingHttpHeaders) => {
      const path = headers[':path'];
      if (!this.isProbe({ url: typeof path === 'string' ? path : undefined, headers })) onTraffic();
    };
    this.server.on('stream', listener);
    return () => this.server.removeListener('stream', listener);
  }

  /** Number of open sessions. */
  get connections(): number {
    return this.sessions.size;
  }

  /** At the signal: a GOAWAY to every session; the streams in flight finish, the client opens new ones elsewhere. */
  announce(): void {
    if (this.announced) return;
    this.announced = true;
    // Only when the app uses the compatibility API: adding a 'request' listener would turn it on for every stream.
    if (this.server.listenerCount('request') > 0) this.server.prependListener('request', this.onHttp1Request);
    for (const session of this.sessions) goAway(session);
  }

  /** Stops accepting, closes every session once its streams are done, and resolves when none is left. */
  drain(): Promise<void> {
    if (this.closed) return this.closed;
    this.announce();
    // Sessions opened since the signal that have not asked for a stream yet go away now.
    for (const session of this.sessions) goAway(session);
    const serverClosed = new Promise<void>((resolve) => {
      if (this.server.listening) this.server.close(() => resolve());
      else resolve();
    });
    const sessionsClosed = new Promise<void>((resolve) => {
      if (this.sessions.size === 0) resolve();
      else this.idleWaiters.push(resolve);
    });
    this.closed = Promise.all([serverClosed, sessionsClosed]).then(() => undefined);
    return this.closed;
  }

  /** What is still open, for the log of a cut-short drain. */
  openWork(): OpenWork {
    return { requests: [], connections: this.sessions.size };
  }

  /** Destroys every remaining session (past the shutdown deadline). */
  destroy(): void {
    for (const session of this.sessions) session.destroy();
  }

  /** Removes its listeners. */
  detach(): void {
    this.server.removeListener('session', this.onSession);
    this.server.removeListener('request', this.onHttp1Request);
  }
}

/**
 * `close()` sends a GOAWAY naming the last stream it took, so the client knows every later stream may go elsewhere,
 * and ends the session once its open streams are done.
 */
function goAway(session: ServerHttp2Session): void {
  if (!session.closed && !session.destroyed) session.close();
}

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import type { DrainTarget, OpenWork } from '../core/drain-target.js';

/**
 * The sockets a server already has: Node keeps them in an internal list (what `closeAllConnections()` walks,
 * Node >= 18.2), found by its symbol's description. Empty when that is not there: those sockets are then waited for
 * through the server's own `close` callback, which fires once every connection has ended.
 */
function existingSockets(server: Server): Socket[] {
  const key = Object.getOwnPropertySymbols(server).find((s) => s.description === 'http.server.connections');
  if (key === undefined) return [];
  try {
    const list = (server as unknown as Record<symbol, { all?: () => { socket?: Socket | null }[] }>)[key];
    const all = typeof list?.all === 'function' ? list.all() : [];
    return all.map((p) => p.socket).filter((s): s is Socket => s !== null && s !== undefined && !s.destroyed);
  } catch {
    return [];
  }
}

/** The response a socket is writing now; Node keeps it on the socket (stable since Node 0.x, used by many servers). */
function currentResponse(socket: Socket): ServerResponse | undefined {
  return (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage ?? undefined;
}

/** What a tracker needs to tell a probe from traffic: an HTTP/1 request, or an HTTP/2 stream's path and headers. */
export type ProbeLike = Pick<IncomingMessage, 'url' | 'headers'>;

/** Makes `res` (not sent yet) the last answer of its connection: `Connection: close`, then the socket ends. */
export function markClose(res: ServerResponse, envoy = false): void {
  if (!res.headersSent) {
    // Node then ends the socket right after this response instead of keeping it alive.
    res.setHeader('connection', 'close');
    res.shouldKeepAlive = false;
    // Envoy ejects the host at once on this header, instead of at its next health check.
    if (envoy) res.setHeader('x-envoy-immediate-health-check-fail', 'true');
  }
}

/**
 * Follows one node:http(s) server's connections so that it can be drained without dropping a request: at the signal
 * every answer says `Connection: close`; at the drain stop accepting, close idle keep-alive sockets at once, and busy
 * ones right after their response.
 * It costs nothing per request (the app's requests must not pay for a shutdown that has not begun): it keeps the
 * open sockets, one listener per connection, and looks at their in-flight responses only when the drain starts.
 * Sockets the server had before it was attached are adopted too, so `attach()` may come after `listen()`.
 */
export class ServerTracker implements DrainTarget {
  private readonly sockets = new Set<Socket>();
  private readonly event: 'connection' | 'secureConnection';
  private idleWaiters: (() => void)[] = [];
  private closed: Promise<void> | null = null;
  private readonly onConnection = (socket: Socket) => {
    if (this.sockets.has(socket)) return;
    this.sockets.add(socket);
    socket.once('close', () => {
      this.sockets.delete(socket);
      if (this.sockets.size === 0) for (const w of this.idleWaiters.splice(0)) w();
    });
  };
  /**
   * Added at the shutdown signal ({@link announce}), not before: every request from then on closes its keep-alive
   * connection after its answer, so the client's next connection goes to an instance still in service.
   */
  private readonly onLateRequest = (_req: IncomingMessage, res: ServerResponse) => markClose(res, this.envoy);
  private announced = false;
  private readonly closeIdle = () => setImmediate(() => this.server.closeIdleConnections?.());

  /**
   * @param isProbe Tells probe requests (which keep coming from the kubelet and load balancers during a shutdown)
   *   from traffic, for {@link watchTraffic}.
   * @param envoy From the signal on, every answer also says `x-envoy-immediate-health-check-fail: true`.
   */
  constructor(
    readonly server: Server,
    private readonly isProbe: (req: ProbeLike) => boolean = () => false,
    private readonly envoy = false,
  ) {
    // An https server hands HTTP the TLS socket of 'secureConnection', not the raw one of 'connection'.
    this.event = server instanceof TlsServer ? 'secureConnection' : 'connection';
    server.on(this.event, this.onConnection);
    for (const socket of existingSockets(server)) this.onConnection(socket);
  }

  /**
   * Calls `onTraffic` for every request that is not a probe, until the returned function is called. A listener
   * exists only while the shutdown delay watches: before the signal, requests pay nothing for it.
   */
  watchTraffic(onTraffic: () => void): () => void {
    const listener = (req: IncomingMessage) => {
      if (!this.isProbe(req)) onTraffic();
    };
    this.server.on('request', listener);
    return () => this.server.removeListener('request', listener);
  }

  /** Number of open connections. */
  get connections(): number {
    return this.sockets.size;
  }

  /**
   * At the shutdown signal: from now on every response says `Connection: close` and its socket closes after it
   * (the responses in flight too, unless their headers are out already), so each keep-alive connection ends cleanly
   * after its next answer. Idle connections are left open on purpose: closing one while its client may be sending a
   * request on it is exactly what loses that request; they get their `Connection: close` with their next answer.
   */
  announce(): void {
    if (this.announced) return;
    this.announced = true;
    this.server.prependListener('request', this.onLateRequest);
    for (const socket of this.sockets) {
      const res = currentResponse(socket);
      if (res !== undefined) markClose(res, this.envoy);
    }
  }

  /**
   * Stops accepting, closes idle keep-alive connections, marks in-flight responses `Connection: close` (if
   * {@link announce} did not already), and resolves when the server has no connection left.
   */
  drain(): Promise<void> {
    if (this.closed) return this.closed;
    this.announce();
    // A full turn of the event loop (one poll phase) before anything closes: a request already in a socket's receive
    // buffer when the drain came due (the app was busy) is read first, so its connection is busy and gets its answer
    // with `Connection: close`; closed as idle, it would have been reset with the request unanswered.
    this.closed = new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve))).then(() => this.close());
    return this.closed;
  }

  /** Stops accepting, closes the idle connections and the busy ones after their answer; resolves when none is left. */
  private close(): Promise<void> {
    for (const socket of this.sockets) {
      const res = currentResponse(socket);
      // Its headers went out with keep-alive: once it finishes the socket is idle, and idle sockets are closed.
      if (res?.headersSent === true) res.once('finish', this.closeIdle);
    }
    const serverClosed = new Promise<void>((resolve) => {
      // The server's close callback comes once every connection has ended, the ones nobody saw open included.
      if (this.server.listening) this.server.close(() => resolve());
      else resolve();
    });
    const socketsClosed = new Promise<void>((resolve) => {
      this.server.closeIdleConnections?.();
      // Destroyed sockets emit 'close' on a later tick, so the idle ones closed just now are still counted here.
      if (this.sockets.size === 0) resolve();
      else this.idleWaiters.push(resolve);
    });
    return Promise.all([serverClosed, socketsClosed]).then(() => undefined);
  }

  /** What is still open, for the log of a cut-short drain. */
  openWork(): OpenWork {
    const requests: string[] = [];
    for (const socket of this.sockets) {
      const req = (currentResponse(socket) as (ServerResponse & { req?: IncomingMessage }) | undefined)?.req;
      if (req) requests.push(`${req.method ?? '?'} ${req.url ?? '?'}`);
    }
    return { requests, connections: this.sockets.size };
  }

  /** Destroys every remaining socket (past the shutdown deadline). */
  destroy(): void {
    this.server.closeAllConnections?.();
    for (const socket of this.sockets) socket.destroy();
  }

  /** Removes its listeners. */
  detach(): void {
    this.server.removeListener(this.event, this.onConnection);
    this.server.removeListener('request', this.onLateRequest);
  }
}

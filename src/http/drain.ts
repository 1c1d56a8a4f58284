import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** What is still open when a drain is cut short, for the log. */
export interface OpenWork {
  requests: string[];
  connections: number;
}

/**
 * Follows one node:http(s) server's requests so that it can be drained without dropping any:
 * stop accepting, close idle keep-alive sockets at once, and busy ones right after their response.
 * It must be attached before connections arrive (a socket opened earlier is still closed by `server.close()`,
 * but its in-flight response is not marked `Connection: close`).
 */
export class ServerTracker {
  private readonly inFlight = new Set<ServerResponse>();
  private draining = false;
  private closed: Promise<void> | null = null;
  private idleWaiters: (() => void)[] = [];
  /** The `request` listener it added (so that `attach` can tell it from the app's). */
  readonly listener = (req: IncomingMessage, res: ServerResponse) => {
    if (this.draining) markClose(res);
    this.inFlight.add(res);
    const done = () => {
      this.inFlight.delete(res);
      if (this.inFlight.size === 0 && this.idleWaiters.length > 0) {
        for (const w of this.idleWaiters.splice(0)) w();
      }
      // Node keeps a socket whose response went out with keep-alive; once draining, no socket may idle.
      if (this.draining) setImmediate(() => this.server.closeIdleConnections?.());
    };
    res.once('finish', done);
    res.once('close', done);
    void req;
  };

  constructor(readonly server: Server) {
    // Prepended: a response must be marked before the app's own handler can write its headers.
    server.prependListener('request', this.listener);
  }

  /** Number of requests whose response has not finished. */
  get pending(): number {
    return this.inFlight.size;
  }

  /**
   * Stops accepting, closes idle keep-alive connections, marks in-flight responses `Connection: close`,
   * and resolves when the server has no connection left.
   */
  drain(): Promise<void> {
    if (this.closed) return this.closed;
    this.draining = true;
    for (const res of this.inFlight) markClose(res);
    this.closed = new Promise<void>((resolve) => {
      if (!this.server.listening) {
        // Already closed by someone else: wait for the in-flight responses only.
        this.waitIdle(resolve);
        return;
      }
      this.server.close(() => resolve());
      this.server.closeIdleConnections?.();
    });
    return this.closed;
  }

  private waitIdle(resolve: () => void): void {
    if (this.inFlight.size === 0) resolve();
    else this.idleWaiters.push(resolve);
  }

  /** What is still open, for the log of a cut-short drain. */
  openWork(): OpenWork {
    const requests = [...this.inFlight].map((res) => {
      const req = (res as ServerResponse & { req?: IncomingMessage }).req;
      return req ? `${req.method ?? '?'} ${req.url ?? '?'}` : '?';
    });
    return { requests, connections: this.inFlight.size };
  }

  /** Destroys every remaining socket (past the shutdown deadline). */
  destroyAll(): void {
    this.server.closeAllConnections?.();
    for (const res of this.inFlight) res.socket?.destroy();
  }

  /** Removes the request listener. */
  detach(): void {
    this.server.removeListener('request', this.listener);
  }
}

function markClose(res: ServerResponse): void {
  if (!res.headersSent) {
    res.setHeader('connection', 'close');
    res.shouldKeepAlive = false;
  }
}

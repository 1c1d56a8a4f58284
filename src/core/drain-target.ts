/** What is still open when a drain is cut short, for the log. */
export interface OpenWork {
  /** The requests (or RPCs) still in flight, e.g. `GET /slow`. */
  requests: string[];
  /** Connections (or streams) still open. */
  connections: number;
}

/**
 * Something the shutdown sequence drains: an HTTP server (`health.attach(server)`), a gRPC server
 * (`probekit/grpc`), or anything of the app's own (a queue consumer) through `health.addDrainTarget()`.
 * The core knows nothing else about servers.
 */
export interface DrainTarget {
  /**
   * Optional: called once at the shutdown signal, before the delay (readiness already fails). A server uses it to
   * tell its clients to go elsewhere while it still serves them: every HTTP/1.x answer says `Connection: close`, an
   * HTTP/2 session gets a GOAWAY. It must not throw away work in flight.
   */
  announce?(): void;
  /**
   * Called once the shutdown delay is over: stop taking new work, let what is in flight finish, and resolve when
   * nothing is left. It may be called more than once and must return the same promise then.
   */
  drain(): Promise<void>;
  /** Called at the shutdown deadline: end whatever is left, at once. */
  destroy(): void;
  /** What is still open, for the log line of a drain cut short by the deadline. */
  openWork(): OpenWork;
  /**
   * Optional: calls `onTraffic` for each request (not a probe) that arrives from now on, until the returned function
   * is called. The adaptive shutdown delay uses it to see when the load balancers have stopped sending. It is only
   * called once the shutdown began, so a target pays nothing for it before.
   */
  watchTraffic?(onTraffic: () => void): () => void;
}

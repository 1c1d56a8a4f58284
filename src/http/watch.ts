import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DrainTarget, OpenWork } from '../core/drain-target.js';

/** What the hub listens to: the registry's `change` and `run` events. */
export interface WatchSource {
  on(event: 'change' | 'run', listener: () => void): unknown;
  off(event: 'change' | 'run', listener: () => void): unknown;
}

/** Comment line sent to idle streams, so that proxies and load balancers do not close them. Default 15 s. */
export const HEARTBEAT_MS = 15_000;

const STREAM_HEADERS = Object.freeze({
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-store',
  // nginx and some ingress controllers buffer responses unless told not to.
  'x-accel-buffering': 'no',
});

const TOO_MANY = '{"status":"error","error":"Service Unavailable","message":"Too many watchers"}';

interface Stream {
  readonly res: ServerResponse;
  readonly render: () => string;
  /** The last body written, to never send the same one twice in a row. */
  last: string;
  /** `write()` returned false: nothing more is queued until 'drain', then only the latest body. */
  blocked: boolean;
}

/**
 * Server-Sent Event streams of probe answers (`GET /ready?watch`): the current answer at once, then one event each
 * time that answer changes, a comment line every 15 s, and the end of every stream when the shutdown drains (so a
 * stream never holds the drain up). At most `max` streams at once; past that, 503 with `Retry-After`.
 * A slow reader never makes the process buffer more than one event: while its socket is full, changes are not
 * queued, and once it drains it gets the latest answer only. Listens to the registry only while it has streams.
 */
export class WatchHub implements DrainTarget {
  private readonly streams = new Set<Stream>();
  private draining = false;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private readonly onChange = () => {
    for (const s of this.streams) this.push(s);
  };

  constructor(
    private readonly source: WatchSource,
    private readonly max: number,
    private readonly heartbeatMs = HEARTBEAT_MS,
  ) {}

  /** Number of open streams. */
  get size(): number {
    return this.streams.size;
  }

  /**
   * Answers `req` with a stream of `render()` results. After the drain began it answers once, as a plain request
   * would (returns false: the caller answers). Over the limit it answers 503.
   */
  open(req: IncomingMessage, res: ServerResponse, render: () => string): boolean {
    if (this.draining) return false;
    if (this.streams.size >= this.max) {
      res.writeHead(503, {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        'retry-after': '5',
        'content-length': Buffer.byteLength(TOO_MANY),
      });
      res.end(TOO_MANY);
      return true;
    }
    const stream: Stream = { res, render, last: '', blocked: false };
    res.writeHead(200, STREAM_HEADERS);
    // No Nagle delay: an event is one small write that should leave at once.
    req.socket.setNoDelay(true);
    this.streams.add(stream);
    if (this.streams.size === 1) this.listen();
    const forget = () => {
      if (!this.streams.delete(stream)) return;
      if (this.streams.size === 0) this.unlisten();
    };
    res.once('close', forget);
    res.on('drain', () => {
      stream.blocked = false;
      this.push(stream);
    });
    this.push(stream);
    return true;
  }

  private push(s: Stream): void {
    if (s.blocked || s.res.writableEnded) return;
    let body: string;
    try {
      body = s.render();
    } catch {
      return; // A broken render must not break the other streams; the next change tries again.
    }
    if (body === s.last) return;
    s.last = body;
    // Bodies are JSON on one line: one `data:` line is the whole event.
    if (!s.res.write(`data: ${body}\n\n`)) s.blocked = true;
  }

  private listen(): void {
    this.source.on('change', this.onChange);
    this.source.on('run', this.onChange);
    this.heartbeat = setInterval(() => {
      for (const s of this.streams) if (!s.blocked) s.res.write(': keep-alive\n\n');
    }, this.heartbeatMs);
    this.heartbeat.unref();
  }

  private unlisten(): void {
    this.source.off('change', this.onChange);
    this.source.off('run', this.onChange);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  /** Ends every stream (the shutdown's drain step) and opens no new one. */
  drain(): Promise<void> {
    this.draining = true;
    for (const s of [...this.streams]) s.res.end();
    return Promise.resolve();
  }

  destroy(): void {
    for (const s of [...this.streams]) s.res.destroy();
  }

  openWork(): OpenWork {
    return { requests: [...this.streams].map(() => 'watch stream'), connections: this.streams.size };
  }

  /** Ends every stream and stops listening, for an adapter that is being removed. */
  close(): void {
    for (const s of [...this.streams]) s.res.end();
    this.streams.clear();
    this.unlisten();
  }
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DrainTarget, OpenWork } from '../core/drain-target.js';
import { LatestValue } from '../core/latest-value.js';

/** What the hub listens to: the registry's `change` event, and its count of runs (read on each tick). */
export interface WatchSource {
  on(event: 'change', listener: () => void): unknown;
  off(event: 'change', listener: () => void): unknown;
  readonly runCount: number;
}

/** What one stream shows. */
export interface StreamFeed {
  /** A number that moves when what the stream shows changes in substance (statuses, reasons, outputs). */
  key(): number;
  /**
   * The event to send now (one line of JSON), or `undefined` when there is nothing new. Called only when the stream
   * can take an event. `all` is true on the run-by-run tick (send what only ran, too), false on a change.
   */
  render(all: boolean): string | undefined;
}

/** Comment line sent to idle streams, so that proxies and load balancers do not close them. Default 15 s. */
export const HEARTBEAT_MS = 15_000;
/** Default `watchInterval`: the most often run-by-run fields alone cause an event, per stream. */
export const WATCH_INTERVAL_MS = 5000;
/** How long a stream ended by the drain may take to hand over its last bytes before its socket is destroyed. */
export const END_GRACE_MS = 1000;

const STREAM_HEADERS = Object.freeze({
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-store',
  // nginx and some ingress controllers buffer responses unless told not to.
  'x-accel-buffering': 'no',
});

const TOO_MANY = '{"status":"error","error":"Service Unavailable","message":"Too many watchers"}';

interface Stream {
  readonly res: ServerResponse;
  readonly feed: StreamFeed;
  readonly sender: LatestValue<string>;
  /** The feed's key and the source's run count at the last render. */
  key: number;
  runs: number;
  /** When run-by-run fields last caused an event (or the stream opened). */
  tickAt: number;
  /** The tick asked for the run-by-run fields and they are not sent yet. */
  tickDue: boolean;
}

/**
 * Server-Sent Event streams (`GET /ready?watch`, the status page's `?watch`): the current answer at once, then an
 * event each time what it shows changes in substance, and the run-by-run fields (`lastRun`, durations, streaks,
 * history) at most once per `watchInterval` per stream; a comment line every 15 s; the end of every stream when the
 * shutdown drains. At most `max` streams at once; past that, 503 with `Retry-After`.
 * Every stream sends through a {@link LatestValue}: a slow reader never makes the process buffer more than one
 * event, nothing is rendered for it while its socket is full, and once it drains it gets the latest answer only.
 * A stream ended by the drain that does not take its last bytes within 1 s has its socket destroyed: a reader that
 * stopped reading never holds the shutdown. Listens to the registry only while it has streams.
 */
export class WatchHub implements DrainTarget {
  private readonly streams = new Set<Stream>();
  private draining = false;
  private drained: Promise<void> | null = null;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private ticker: ReturnType<typeof setInterval> | null = null;
  private readonly onChange = () => this.sendChanges();

  constructor(
    private readonly source: WatchSource,
    private readonly max: number,
    private readonly heartbeatMs = HEARTBEAT_MS,
    private readonly intervalMs = WATCH_INTERVAL_MS,
  ) {}

  /** Number of open streams. */
  get size(): number {
    return this.streams.size;
  }

  /**
   * Answers `req` with a stream of `feed`'s events. After the drain began it answers once, as a plain request
   * would (returns false: the caller answers). Over the limit it answers 503.
   */
  open(req: IncomingMessage, res: ServerResponse, feed: StreamFeed): boolean {
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
    res.writeHead(200, STREAM_HEADERS);
    // No Nagle delay: an event is one small write that should leave at once.
    req.socket.setNoDelay(true);
    const stream: Stream = {
      res,
      feed,
      key: 0,
      runs: 0,
      tickAt: Date.now(),
      tickDue: false,
      sender: new LatestValue<string>(
        {
          write: (body, written) => {
            // Bodies are JSON on one line: one `data:` line is the whole event.
            const ok = res.write(`data: ${body}\n\n`);
            written();
            return ok;
          },
          onceDrain: (listener) => res.once('drain', listener),
          offDrain: (listener) => res.removeListener('drain', listener),
          end: () => res.end(),
        },
        () => this.render(stream),
      ),
    };
    this.streams.add(stream);
    if (this.streams.size === 1) this.listen();
    res.once('close', () => {
      stream.sender.forget();
      if (!this.streams.delete(stream)) return;
      if (this.streams.size === 0) this.unlisten();
    });
    stream.sender.poke();
    return true;
  }

  private render(s: Stream): string | undefined {
    s.key = s.feed.key();
    s.runs = this.source.runCount;
    const all = s.tickDue;
    s.tickDue = false;
    try {
      return s.feed.render(all);
    } catch {
      return undefined; // A broken render must not break the other streams; the next change tries again.
    }
  }

  /** The streams whose content changed in substance get the latest now (or once their socket drains). */
  private sendChanges(): void {
    for (const s of this.streams) if (s.feed.key() !== s.key) s.sender.poke();
  }

  /** Once per `watchInterval`: the streams that saw runs since their last event get the run-by-run fields. */
  private tick(): void {
    const runs = this.source.runCount;
    const now = Date.now();
    const due: Stream[] = [];
    for (const s of this.streams) {
      // A few ms of slack: timers fire on the loop's clock, not on Date.now().
      if (s.runs === runs || now - s.tickAt < this.intervalMs - 5) continue;
      s.tickAt = now;
      s.tickDue = true;
      due.push(s);
    }
    this.pokeApart(due, 0);
  }

  /**
   * Pokes the streams one per turn of the loop: with 1,000 checks one stream's render takes a few ms, all of them in
   * one turn would hold a probe's answer for as long. A stream closed meanwhile ignores its poke.
   */
  private pokeApart(due: readonly Stream[], i: number): void {
    const s = due[i];
    if (s === undefined) return;
    s.sender.poke();
    if (i + 1 < due.length) setImmediate(() => this.pokeApart(due, i + 1));
  }

  private listen(): void {
    this.source.on('change', this.onChange);
    this.heartbeat = setInterval(() => {
      for (const s of this.streams) if (!s.sender.isBlocked && !s.sender.isEnded) s.res.write(': keep-alive\n\n');
    }, this.heartbeatMs);
    this.heartbeat.unref();
    this.ticker = setInterval(() => this.tick(), this.intervalMs);
    this.ticker.unref();
  }

  private unlisten(): void {
    this.source.off('change', this.onChange);
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.ticker) clearInterval(this.ticker);
    this.heartbeat = this.ticker = null;
  }

  /**
   * Ends every stream (the shutdown's drain step), after its latest content, and opens no new one. Resolves once
   * every stream has closed; a socket that has not taken the last bytes within 1 s is destroyed.
   */
  drain(): Promise<void> {
    if (this.drained) return this.drained;
    this.draining = true;
    const ends = [...this.streams].map((s) => this.endStream(s));
    this.drained = Promise.all(ends).then(() => undefined);
    return this.drained;
  }

  private endStream(s: Stream): Promise<void> {
    const { res } = s;
    return new Promise<void>((resolve) => {
      if (res.destroyed || res.writableFinished) return resolve();
      const timer = setTimeout(() => res.destroy(), END_GRACE_MS);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      res.once('finish', done);
      res.once('close', done);
      s.sender.end();
    });
  }

  destroy(): void {
    for (const s of [...this.streams]) s.res.destroy();
  }

  openWork(): OpenWork {
    return { requests: [...this.streams].map(() => 'watch stream'), connections: this.streams.size };
  }

  /** Ends every stream and stops listening, for an adapter that is being removed. */
  close(): void {
    for (const s of [...this.streams]) s.sender.end();
    this.streams.clear();
    this.unlisten();
  }
}

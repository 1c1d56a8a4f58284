/** Where a {@link LatestValue} writes: one stream (an HTTP response, a gRPC call). */
export interface LatestSink<T> {
  /**
   * Writes one value. Calls `written` once the stream has taken it (at once, or later for a stream that confirms
   * each write); returns false when the stream is full, and then 'drain' comes before anything more is written.
   */
  write(value: T, written: () => void): boolean;
  onceDrain(listener: () => void): void;
  offDrain(listener: () => void): void;
  /** Ends the stream. */
  end(): void;
}

/**
 * "Latest value only": one stream's sender, shared by the HTTP watch streams and gRPC Watch. It keeps at most one
 * value in flight (the next waits for the write's confirmation, and for 'drain' when `write()` returned false), and
 * computes what to send only when the stream can take it, from `next()`: a slow reader gets the newest value, never
 * a queue of old ones, and a blocked stream costs no rendering at all. A value equal to the last one sent is not
 * sent again.
 */
export class LatestValue<T> {
  private last: T | undefined;
  private dirty = false;
  private inFlight = false;
  private needDrain = false;
  private ended = false;
  private readonly onWritten = () => {
    this.inFlight = false;
    this.flush();
  };
  private readonly onDrain = () => {
    this.needDrain = false;
    this.flush();
  };

  /**
   * @param next The value to send now, or `undefined` for nothing; called only when the stream can take it.
   * @param same Tells a value from the last one sent. Default `Object.is`.
   */
  constructor(
    private readonly sink: LatestSink<T>,
    private readonly next: () => T | undefined,
    private readonly same: (a: T, b: T) => boolean = Object.is,
  ) {}

  /** True once ended or forgotten. */
  get isEnded(): boolean {
    return this.ended;
  }

  /** True while the stream has not taken the last value written (a slow or stalled reader). */
  get isBlocked(): boolean {
    return this.inFlight || this.needDrain;
  }

  /** Something newer may be there: `next()` is asked as soon as the stream can take a value (now, if it can). */
  poke(): void {
    if (this.ended) return;
    this.dirty = true;
    this.flush();
  }

  /**
   * Ends the stream, after the latest value if one was poked and not sent yet (a client must see the last state
   * before the end): that one goes out even while the stream is busy, one more write is still bounded. Idempotent.
   */
  end(): void {
    if (this.ended) return;
    if (this.dirty) {
      this.dirty = false;
      const value = this.nextValue();
      if (value !== undefined) this.sink.write(value, noop);
    }
    this.forget();
    this.sink.end();
  }

  /** Stops writing (a stream closed by the other side, or ended): drops what was pending and the 'drain' listener. */
  forget(): void {
    this.ended = true;
    this.dirty = false;
    if (this.needDrain) {
      this.needDrain = false;
      this.sink.offDrain(this.onDrain);
    }
  }

  private nextValue(): T | undefined {
    const value = this.next();
    if (value === undefined || (this.last !== undefined && this.same(value, this.last))) return undefined;
    this.last = value;
    return value;
  }

  private flush(): void {
    if (this.inFlight || this.needDrain || this.ended || !this.dirty) return;
    this.dirty = false;
    const value = this.nextValue();
    if (value === undefined) return;
    this.inFlight = true;
    if (!this.sink.write(value, this.onWritten)) {
      this.needDrain = true;
      this.sink.onceDrain(this.onDrain);
    }
  }
}

function noop(): void {}

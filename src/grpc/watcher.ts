import { RESPONSES, type StatusMessage, type WireStatus } from './definition.js';

/** What a Watch call is to the watcher: grpc-js's `ServerWritableStream`, reduced to what is used. */
export interface WatchCall {
  write(message: StatusMessage, callback: () => void): boolean;
  end(): void;
  once(event: 'drain', listener: () => void): unknown;
  removeListener(event: 'drain', listener: () => void): unknown;
  readonly cancelled: boolean;
}

/**
 * One open Watch stream. It sends a status only when it differs from the last one sent, keeps at most one message
 * in flight (the next waits for the write callback, and for 'drain' when `write()` returned false), and while it
 * waits it keeps only the latest status: a slow reader gets the newest answer, never a queue of old ones.
 */
export class Watcher {
  private last: WireStatus | undefined;
  private pending: WireStatus | undefined;
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

  constructor(
    /** The service name asked for; shown in the log of a drain cut short. */
    readonly service: string,
    private readonly call: WatchCall,
  ) {}

  /** True once the stream was ended or cancelled. */
  get isEnded(): boolean {
    return this.ended || this.call.cancelled;
  }

  /** Sends `status` now if the stream can take it, else remembers it as the one to send next (replacing any older). */
  push(status: WireStatus): void {
    if (this.isEnded) return;
    this.pending = status;
    this.flush();
  }

  /**
   * Ends the stream with status OK, after the latest status if it was not sent yet (a client must see NOT_SERVING
   * before the end). Idempotent.
   */
  end(): void {
    if (this.isEnded) {
      this.forget();
      return;
    }
    const next = this.pending;
    this.pending = undefined;
    // The final message goes out even while the stream is busy: one more is still bounded.
    if (next !== undefined && next !== this.last) this.call.write(RESPONSES[next], noop);
    this.forget();
    this.call.end();
  }

  /** Stops writing (a cancelled call, or ended): drops the pending status and the 'drain' listener. */
  forget(): void {
    this.ended = true;
    this.pending = undefined;
    if (this.needDrain) {
      this.needDrain = false;
      this.call.removeListener('drain', this.onDrain);
    }
  }

  private flush(): void {
    if (this.inFlight || this.needDrain || this.isEnded) return;
    const next = this.pending;
    this.pending = undefined;
    if (next === undefined || next === this.last) return;
    this.last = next;
    this.inFlight = true;
    if (!this.call.write(RESPONSES[next], this.onWritten)) {
      this.needDrain = true;
      this.call.once('drain', this.onDrain);
    }
  }
}

function noop(): void {}

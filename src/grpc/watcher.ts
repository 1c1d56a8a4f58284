import { LatestValue } from '../core/latest-value.js';
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
 * One open Watch stream, over the same "latest value only" sender as the HTTP watch streams ({@link LatestValue}):
 * a status is sent only when it differs from the last one sent, at most one message is in flight (the next waits
 * for the write callback, and for 'drain' when `write()` returned false), and while it waits only the latest status
 * is kept: a slow reader gets the newest answer, never a queue of old ones.
 */
export class Watcher {
  private pending: WireStatus | undefined;
  private readonly sender: LatestValue<WireStatus>;

  constructor(
    /** The service name asked for; shown in the log of a drain cut short. */
    readonly service: string,
    private readonly call: WatchCall,
  ) {
    this.sender = new LatestValue<WireStatus>(
      {
        write: (status, written) => call.write(RESPONSES[status], written),
        onceDrain: (listener) => call.once('drain', listener),
        offDrain: (listener) => call.removeListener('drain', listener),
        end: () => call.end(),
      },
      () => {
        const next = this.pending;
        this.pending = undefined;
        return next;
      },
    );
  }

  /** True once the stream was ended or cancelled. */
  get isEnded(): boolean {
    return this.sender.isEnded || this.call.cancelled;
  }

  /** Sends `status` now if the stream can take it, else remembers it as the one to send next (replacing any older). */
  push(status: WireStatus): void {
    if (this.isEnded) return;
    this.pending = status;
    this.sender.poke();
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
    this.sender.end();
  }

  /** Stops writing (a cancelled call, or ended): drops the pending status and the 'drain' listener. */
  forget(): void {
    this.pending = undefined;
    this.sender.forget();
  }
}

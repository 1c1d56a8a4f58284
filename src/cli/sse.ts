// An incremental text/event-stream parser (the WHATWG "server-sent events" interpretation rules). Pure.
// Lines are split on the bytes: CR and LF never occur inside a multi-byte UTF-8 character, so each line is decoded
// once, whole, and every byte is looked at a bounded number of times (the cost is linear in the stream, however it
// is cut into chunks and however short its lines). What the server can make it hold is bounded by MAX_EVENT_BYTES.
import { TooLargeError } from './errors.js';

/** One dispatched event. */
export interface SseEvent {
  /** `message` unless the stream named it with `event:`. */
  readonly type: string;
  readonly data: string;
  readonly id: string | undefined;
}

/** Largest event (its data lines, and the line being read) the parser holds: past it, {@link TooLargeError}. */
export const MAX_EVENT_BYTES = 1024 * 1024;

const LF = 0x0a;
const CR = 0x0d;

/** Feeds on chunks of the stream and returns the events they complete. */
export class SseParser {
  /**
   * The bytes of the line not ended yet, in a buffer that grows by doubling: a line that arrives a byte at a time
   * costs amortised O(1) per byte and at most twice its size, not one object per chunk.
   */
  private pending: Buffer = Buffer.alloc(0);
  private partialBytes = 0;
  /** The last chunk ended on CR: a LF that starts the next one belongs to it. */
  private afterCr = false;
  private data: string[] = [];
  /** Bytes of the data lines of the event being read. */
  private dataBytes = 0;
  private type = '';
  private lastId: string | undefined;
  private started = false;
  /** The last `retry:` the server asked for, in ms. */
  retryMs: number | undefined;
  /** Chunks seen so far (comments included): the liveness of the stream. */
  chunks = 0;

  /**
   * Parses a chunk; returns the events it completes, in order.
   * @throws TooLargeError when an event (its data so far plus the line being read) grows past 1 MiB.
   */
  push(input: Uint8Array): SseEvent[] {
    this.chunks++;
    // A Buffer view (no copy): its indexOf is a memchr.
    const chunk = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.length);
    const events: SseEvent[] = [];
    let pos = 0;
    if (this.afterCr && chunk.length > 0) {
      this.afterCr = false;
      if (chunk[0] === LF) pos = 1;
    }
    // The next CR and LF at or after `pos`, each searched again only once passed: every byte is scanned once per kind.
    let lf = chunk.indexOf(LF, pos);
    let cr = chunk.indexOf(CR, pos);
    while (lf !== -1 || cr !== -1) {
      const end = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      let next = end + 1;
      if (end === cr) {
        if (end === chunk.length - 1) this.afterCr = true;
        else if (chunk[end + 1] === LF) next = end + 2;
      }
      this.line(this.takeLine(chunk, pos, end), events);
      pos = next;
      if (lf !== -1 && lf < pos) lf = chunk.indexOf(LF, pos);
      if (cr !== -1 && cr < pos) cr = chunk.indexOf(CR, pos);
    }
    if (pos < chunk.length) {
      // Checked before the copy: the pending line never grows past the limit.
      this.checkSize(chunk.length - pos);
      this.keep(chunk.subarray(pos));
    }
    return events;
  }

  /** Appends to the pending line. */
  private keep(bytes: Buffer): void {
    const need = this.partialBytes + bytes.length;
    if (need > this.pending.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.pending.length * 2, 1024));
      this.pending.copy(grown, 0, 0, this.partialBytes);
      this.pending = grown;
    }
    bytes.copy(this.pending, this.partialBytes);
    this.partialBytes = need;
  }

  /** The line ending at `end` of `chunk`, with the pieces kept from earlier chunks, decoded. */
  private takeLine(chunk: Buffer, from: number, end: number): string {
    let line: string;
    if (this.partialBytes === 0) line = chunk.toString('utf8', from, end);
    else {
      this.keep(chunk.subarray(from, end));
      line = this.pending.toString('utf8', 0, this.partialBytes);
      this.partialBytes = 0;
      // A buffer grown for one long line is not kept for the life of the stream.
      if (this.pending.length > 64 * 1024) this.pending = Buffer.alloc(0);
    }
    if (!this.started) {
      this.started = true;
      if (line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    }
    return line;
  }

  private checkSize(more = 0): void {
    if (this.dataBytes + this.partialBytes + more > MAX_EVENT_BYTES) {
      throw new TooLargeError(`the watch stream sent an event larger than ${MAX_EVENT_BYTES / 1024 / 1024} MiB`);
    }
  }

  private line(line: string, events: SseEvent[]): void {
    if (line === '') {
      if (this.data.length > 0) events.push({ type: this.type || 'message', data: this.data.join('\n'), id: this.lastId });
      this.data = [];
      this.dataBytes = 0;
      this.type = '';
      return;
    }
    if (line.startsWith(':')) return; // A comment: the server's heartbeat.
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      this.data.push(value);
      this.dataBytes += Buffer.byteLength(value) + 1;
      this.checkSize();
    } else if (field === 'event') this.type = value;
    else if (field === 'id' && !value.includes('\0')) this.lastId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
  }
}

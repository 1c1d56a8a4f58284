// An incremental text/event-stream parser (the WHATWG "server-sent events" interpretation rules). Pure.

/** One dispatched event. */
export interface SseEvent {
  /** `message` unless the stream named it with `event:`. */
  readonly type: string;
  readonly data: string;
  readonly id: string | undefined;
}

/** A line longer than this without a line break is not an event stream we want to buffer. */
const MAX_LINE = 1024 * 1024;

/** Feeds on chunks of the stream and returns the events they complete. */
export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';
  private data: string[] = [];
  private type = '';
  private lastId: string | undefined;
  private started = false;
  /** The last `retry:` the server asked for, in ms. */
  retryMs: number | undefined;
  /** Chunks seen so far (comments included): the liveness of the stream. */
  chunks = 0;

  /**
   * Parses a chunk; returns the events it completes, in order.
   * @throws Error when a line grows past 1 MiB.
   */
  push(chunk: Uint8Array): SseEvent[] {
    this.chunks++;
    let text = this.buffer + this.decoder.decode(chunk, { stream: true });
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const events: SseEvent[] = [];
    let pos = 0;
    for (;;) {
      const lf = text.indexOf('\n', pos);
      const cr = text.indexOf('\r', pos);
      const end = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      if (end === -1) break;
      let next = end + 1;
      if (text[end] === '\r') {
        // A CR at the end of the chunk may be the first half of CRLF: wait for the next chunk.
        if (end === text.length - 1) break;
        if (text[end + 1] === '\n') next = end + 2;
      }
      this.line(text.slice(pos, end), events);
      pos = next;
    }
    this.buffer = text.slice(pos);
    if (this.buffer.length > MAX_LINE) throw new Error('event stream line longer than 1 MiB');
    return events;
  }

  private line(line: string, events: SseEvent[]): void {
    if (line === '') {
      if (this.data.length > 0) events.push({ type: this.type || 'message', data: this.data.join('\n'), id: this.lastId });
      this.data = [];
      this.type = '';
      return;
    }
    if (line.startsWith(':')) return; // A comment: the server's heartbeat.
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.type = value;
    else if (field === 'id' && !value.includes('\0')) this.lastId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
  }
}

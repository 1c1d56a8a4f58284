// A small Server-Sent Events client over node:http for the watch tests: every event's data, in order, and the end.
import { type ClientRequest, type IncomingMessage, request } from 'node:http';

export interface SseStream {
  res: IncomingMessage;
  req: ClientRequest;
  /** Every `data:` payload received so far, in order. */
  events: string[];
  /** Comment lines (`: ...`) received so far. */
  comments: string[];
  ended: Promise<void>;
  /** Resolves with the first event (from index `from` on) accepted by `pred`; rejects after `ms`. */
  next(pred: (data: string) => boolean, from?: number, ms?: number): Promise<string>;
  close(): void;
}

/** Opens `GET base+path` and reads it as an event stream. Resolves once the response headers arrived. */
export function openSse(base: string, path: string): Promise<SseStream> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, agent: false }, (res) => {
      const events: string[] = [];
      const comments: string[] = [];
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        for (let end = buf.indexOf('\n\n'); end !== -1; end = buf.indexOf('\n\n')) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6));
          for (const l of block.split('\n')) if (l.startsWith(':')) comments.push(l);
          if (data.length > 0) events.push(data.join('\n'));
        }
      });
      const ended = new Promise<void>((r) => {
        res.on('end', r);
        res.on('close', r);
        res.on('error', () => r());
      });
      const next = async (pred: (data: string) => boolean, from = 0, ms = 10_000) => {
        const deadline = Date.now() + ms;
        for (;;) {
          const found = events.slice(from).find(pred);
          if (found !== undefined) return found;
          if (Date.now() > deadline) throw new Error(`no matching event within ${ms} ms; got ${JSON.stringify(events)}`);
          await new Promise((r) => setTimeout(r, 5));
        }
      };
      resolve({ res, req, events, comments, ended, next, close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

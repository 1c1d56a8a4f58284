// The event-stream parser of `probekit watch` holds at most one event of 1 MiB, whatever the server sends, and its
// cost is linear in the stream however it is cut: many short lines in one chunk, or one line a byte at a time.
// The bounds on time below are behavioural, with a wide margin: the quadratic parser took minutes on these inputs.
import t from 'tap';
import { TooLargeError } from '../../src/cli/errors.js';
import { MAX_EVENT_BYTES, SseParser } from '../../src/cli/sse.js';

const MiB = 1024 * 1024;

/** Feeds chunks until the parser throws; returns the bytes fed (and the error), or all of them. */
function feedUntilThrow(p: SseParser, chunks: Iterable<Buffer>): { fed: number; error: unknown } {
  let fed = 0;
  for (const chunk of chunks) {
    fed += chunk.length;
    try {
      p.push(chunk);
    } catch (error) {
      return { fed, error };
    }
  }
  return { fed, error: undefined };
}

function* repeat(chunk: Buffer, times: number): Generator<Buffer> {
  for (let i = 0; i < times; i++) yield chunk;
}

t.test('an event larger than 1 MiB is a TooLargeError, however it is built', async (t) => {
  const line = Buffer.from(`data: ${'x'.repeat(32 * 1024 - 7)}\n`);
  const cases: [string, Iterable<Buffer>][] = [
    ['data lines with no blank line between them', repeat(line, 1000)],
    ['one line with no line break', repeat(Buffer.from(`data: ${'y'.repeat(64 * 1024)}`), 1000)],
    ['one line with no line break, in one big chunk', [Buffer.from(`data: ${'z'.repeat(2 * MiB)}\n`)]],
    ['comments do not count, data lines do', repeat(Buffer.from(`: ${'c'.repeat(1000)}\ndata: ${'d'.repeat(1000)}\n`), 2000)],
  ];
  for (const [name, chunks] of cases) {
    const { fed, error } = feedUntilThrow(new SseParser(), chunks);
    t.type(error, TooLargeError, name);
    t.match(error, { code: 'PROBEKIT_ERR_CLI_TOO_LARGE', message: 'the watch stream sent an event larger than 1 MiB' });
    t.ok(fed <= 2 * MAX_EVENT_BYTES + 2 * MiB, `${name}: thrown after ${fed} bytes`);
  }
});

t.test('events just under 1 MiB pass, one after the other: the limit is per event', async (t) => {
  const p = new SseParser();
  const big = `data: ${'a'.repeat(MAX_EVENT_BYTES - 100)}\n\n`;
  const events = [];
  for (let i = 0; i < 5; i++) events.push(...p.push(Buffer.from(big)));
  t.equal(events.length, 5);
  t.equal(events[4]?.data.length, MAX_EVENT_BYTES - 100);
  // Comments and other fields between events never add up.
  const q = new SseParser();
  t.same(feedUntilThrow(q, repeat(Buffer.from(`: ${'h'.repeat(60_000)}\nevent: e\nid: 1\n\n`), 100)).error, undefined);
});

t.test('the line parser is linear: inputs that took a quadratic parser minutes take it well under a second', async (t) => {
  // A generous bound on large inputs, not a speed measurement: the quadratic parser took 216 ms for 256 KiB of short
  // lines in one chunk, so about a minute for these 4 MiB; a line fed a byte at a time was quadratic too.
  const run = (input: Buffer, chunk: number) => {
    const p = new SseParser();
    let events = 0;
    const started = process.hrtime.bigint();
    for (let i = 0; i < input.length; i += chunk) events += p.push(input.subarray(i, i + chunk)).length;
    return { ms: Number(process.hrtime.bigint() - started) / 1e6, events };
  };
  const shapes: [string, Buffer, number, number][] = [
    ['4 MiB of short LF lines in one chunk', Buffer.from(':\n'.repeat(2 * MiB)), 4 * MiB, 0],
    ['4 MiB of short CR lines in one chunk', Buffer.from(':\r'.repeat(2 * MiB)), 4 * MiB, 0],
    ['4 MiB of short CRLF lines in one chunk', Buffer.from('event: a\r\n'.repeat((4 * MiB) / 10)), 4 * MiB, 0],
    ['4 MiB of small events in one chunk', Buffer.from('data:1\n\n'.repeat((4 * MiB) / 8)), 4 * MiB, (4 * MiB) / 8],
    ['a 512 KiB line a byte at a time', Buffer.from(`data: ${'b'.repeat(512 * 1024)}\n\n`), 1, 1],
  ];
  for (const [name, input, chunk, events] of shapes) {
    const r = run(input, chunk);
    t.equal(r.events, events, `${name}: ${events} events`);
    t.ok(r.ms < 10_000, `${name}: ${r.ms.toFixed(0)} ms (bound 10 s)`);
  }
});

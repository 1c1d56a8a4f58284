// The watch hub on its own, with a response that reports backpressure: a slow reader never makes it queue more than
// one event, and once the socket drains it gets the latest answer only.
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import t from 'tap';
import { WatchHub } from '../../src/http/watch.js';

class FakeRes extends EventEmitter {
  writes: string[] = [];
  full = false;
  writableEnded = false;
  writeHead() {
    return this;
  }
  write(chunk: string) {
    this.writes.push(chunk);
    return !this.full;
  }
  end() {
    this.writableEnded = true;
    this.emit('close');
  }
  destroy() {
    this.end();
  }
}

const fakeReq = { socket: { setNoDelay() {} } } as unknown as IncomingMessage;
/** A registry stand-in: its 'change' event and its run count. */
const fakeSource = () => Object.assign(new EventEmitter(), { runCount: 0 });
/** A stream whose content counts as changed on every 'change' (its key never equals itself). */
const feed = (render: () => string) => ({ key: () => Number.NaN, render });

t.test('a blocked stream gets nothing more until drain, then only the latest body', async (t) => {
  const source = fakeSource();
  const hub = new WatchHub(source, 10, 60_000);
  let body = 'v0';
  const res = new FakeRes();
  t.ok(
    hub.open(
      fakeReq,
      res as unknown as ServerResponse,
      feed(() => body),
    ),
  );
  t.same(res.writes, ['data: v0\n\n'], 'the current answer at once');
  res.full = true;
  body = 'v1';
  source.emit('change');
  t.equal(res.writes.length, 2, 'v1 is written, and the socket says it is full');
  for (let i = 2; i < 1000; i++) {
    body = `v${i}`;
    source.emit('change');
  }
  t.equal(res.writes.length, 2, 'while full, 998 changes queue nothing');
  res.full = false;
  res.emit('drain');
  t.same(res.writes.slice(2), ['data: v999\n\n'], 'after drain: the latest answer only');
  source.emit('change');
  t.equal(res.writes.length, 3, 'an unchanged answer is not sent again');
  t.equal(source.listenerCount('change'), 1);
  res.end();
  t.equal(hub.size, 0, 'a closed stream is forgotten');
  t.equal(source.listenerCount('change') + source.listenerCount('run'), 0, 'and the hub stops listening');
});

t.test('drain ends every stream and opens no new one; the cap answers 503', async (t) => {
  const source = fakeSource();
  const hub = new WatchHub(source, 1, 60_000);
  const a = new FakeRes();
  hub.open(
    fakeReq,
    a as unknown as ServerResponse,
    feed(() => 'x'),
  );
  const over = { statusCode: 0, headers: {} as Record<string, unknown>, body: '' };
  const b = {
    writeHead(code: number, headers: Record<string, unknown>) {
      over.statusCode = code;
      over.headers = headers;
    },
    end(body: string) {
      over.body = body;
    },
  };
  t.ok(
    hub.open(
      fakeReq,
      b as unknown as ServerResponse,
      feed(() => 'y'),
    ),
  );
  t.equal(over.statusCode, 503);
  t.equal(over.headers['retry-after'], '5');
  await hub.drain();
  t.ok(a.writableEnded, 'the open stream ended');
  t.notOk(
    hub.open(
      fakeReq,
      new FakeRes() as unknown as ServerResponse,
      feed(() => 'z'),
    ),
    'after the drain: a plain answer',
  );
  t.same(hub.openWork(), { requests: [], connections: 0 });
});

t.test('heartbeat comments keep idle streams open', async (t) => {
  const source = fakeSource();
  const hub = new WatchHub(source, 10, 20);
  const res = new FakeRes();
  hub.open(
    fakeReq,
    res as unknown as ServerResponse,
    feed(() => 'x'),
  );
  const deadline = Date.now() + 2000;
  while (!res.writes.includes(': keep-alive\n\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  t.ok(res.writes.includes(': keep-alive\n\n'));
  hub.close();
});

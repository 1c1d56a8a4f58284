// A watcher that never reads never holds the shutdown: twenty `?watch` clients that stop reading (their sockets'
// buffers full), on each adapter and in either wiring order, and the shutdown still ends with code 0 within
// `delay` + 1.5 s: the streams end when the drain starts, and a socket that does not take its last bytes within 1 s
// is destroyed.
import { createServer } from 'node:http';
import { connect, type Socket } from 'node:net';
import express from 'express';
import t from 'tap';
import { probekitExpress } from '../../src/express/index.js';
import { createHealth, type Health } from '../../src/health.js';
import type { HttpOptions } from '../../src/http/contract.js';
import { ADAPTERS, closeServer, listen, type ServeAdapter } from '../helpers/adapters.js';
import { recordingLogger } from '../helpers/logger.js';
import { waitFor } from '../helpers/wait.js';

const WATCHERS = 20;
const DELAY = 200;
const PADDING = 'x'.repeat(250);

/** 60 checks with long outputs (a 25 KiB body), one of which changes its output on every run, every 5 ms. */
function setup() {
  const counter = { runs: 0 };
  const health = createHealth({
    logger: recordingLogger(),
    shutdown: { exit: false, delay: DELAY, timeout: 5000 },
    checks: [
      ...Array.from({ length: 60 }, (_, i) => ({
        name: `c${i}`,
        interval: 1000,
        timeout: 500,
        run: async () => ({ output: PADDING }),
      })),
      {
        name: 'flapping',
        interval: 5,
        timeout: 4,
        run: async () => {
          counter.runs++;
          return { output: `${PADDING} ${counter.runs}` };
        },
      },
    ],
  });
  return { health, counter };
}

/** A client that sends `GET path` and never reads the answer. */
function stalled(base: string, path: string): Promise<Socket> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.pause();
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
      resolve(socket);
    });
    socket.on('error', () => {});
    socket.once('error', reject);
  });
}

/** Express with `health.attach(server)` before the router is made: the other wiring order. */
const expressAttachFirst: ServeAdapter = async (t, health: Health, http: HttpOptions) => {
  const app = express();
  const server = createServer(app);
  health.attach(server);
  app.use(probekitExpress(health, http));
  health.start();
  const port = await listen(server);
  t.teardown(() => closeServer(server));
  return `http://127.0.0.1:${port}`;
};

const adapters: [string, ServeAdapter][] = [...Object.entries(ADAPTERS), ['express, attach() first', expressAttachFirst]];

for (const [name, make] of adapters) {
  t.test(`${name}: ${WATCHERS} watchers that never read do not hold the shutdown`, async (t) => {
    const { health, counter } = setup();
    const base = await make(t, health, { statusPage: true });
    await waitFor(() => health.snapshot().checks.flapping?.status === 'pass', 'the checks to pass');
    const sockets = await Promise.all(
      Array.from({ length: WATCHERS }, (_, i) => stalled(base, i % 4 === 0 ? '/health?watch' : '/ready?watch')),
    );
    t.teardown(() => {
      for (const s of sockets) s.destroy();
    });
    // A few hundred changed answers of 25 KiB each: far more than the sockets' buffers take.
    const from = counter.runs;
    await waitFor(() => counter.runs - from >= 300, '300 changed answers', 20_000);
    const result = await health.shutdown('test');
    t.equal(result.code, 0, 'the shutdown ended with code 0');
    t.notOk(result.timedOut, 'before its timeout');
    t.ok(result.durationMs <= DELAY + 1500, `within delay + 1.5 s (${result.durationMs} ms)`);
  });
}

t.test('a stream that does not take its last bytes within 1 s has its socket destroyed', async (t) => {
  const { EventEmitter } = await import('node:events');
  const { WatchHub, END_GRACE_MS } = await import('../../src/http/watch.js');
  /** A response whose socket never takes anything: writes report a full buffer, `end()` never finishes. */
  class StuckRes extends EventEmitter {
    destroyed = false;
    writableFinished = false;
    writeHead() {
      return this;
    }
    write() {
      return false;
    }
    end() {}
    destroy() {
      this.destroyed = true;
      this.emit('close');
    }
  }
  const source = Object.assign(new EventEmitter(), { runCount: 0 });
  const hub = new WatchHub(source, 10);
  const res = new StuckRes();
  const req = { socket: { setNoDelay() {} } };
  hub.open(req as never, res as never, { key: () => 0, render: () => '{}' });
  const started = Date.now();
  await hub.drain();
  const took = Date.now() - started;
  t.ok(res.destroyed, 'destroyed');
  t.ok(took >= END_GRACE_MS - 20 && took < END_GRACE_MS + 1000, `after about 1 s (${took} ms)`);
  t.equal(hub.size, 0, 'and forgotten');
});

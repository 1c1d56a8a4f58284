// One Watch stream, against a fake call whose write callbacks and 'drain' the test controls: no repeated status,
// one message in flight, only the latest status kept while the reader is slow, the last status before the end.
import { EventEmitter } from 'node:events';
import t from 'tap';
import type { StatusMessage } from '../../src/grpc/definition.js';
import { type WatchCall, Watcher } from '../../src/grpc/watcher.js';

/** A call that records writes; callbacks fire when the test says, and write() returns false when `full` is set. */
function fakeCall() {
  const emitter = new EventEmitter();
  const state = { written: [] as string[], callbacks: [] as (() => void)[], ended: false, full: false, cancelled: false };
  const call: WatchCall = {
    write(message: StatusMessage, callback: () => void) {
      state.written.push(message.status);
      state.callbacks.push(callback);
      return !state.full;
    },
    end() {
      state.ended = true;
    },
    once: (event, listener) => emitter.once(event, listener),
    removeListener: (event, listener) => emitter.removeListener(event, listener),
    get cancelled() {
      return state.cancelled;
    },
  };
  return {
    call,
    state,
    emitter,
    /** Completes every write issued so far. */
    flush() {
      for (const cb of state.callbacks.splice(0)) cb();
    },
  };
}

t.test('the same status is never sent twice in a row', async (t) => {
  const f = fakeCall();
  const w = new Watcher('', f.call);
  w.push('SERVING');
  f.flush();
  w.push('SERVING');
  f.flush();
  w.push('NOT_SERVING');
  f.flush();
  w.push('NOT_SERVING');
  w.push('SERVING');
  f.flush();
  t.same(f.state.written, ['SERVING', 'NOT_SERVING', 'SERVING']);
});

t.test('one message in flight; a slow reader gets the latest status, not a queue', async (t) => {
  const f = fakeCall();
  const w = new Watcher('', f.call);
  w.push('SERVING');
  for (let i = 0; i < 10_000; i++) w.push(i % 2 === 0 ? 'NOT_SERVING' : 'SERVING');
  w.push('NOT_SERVING');
  t.same(f.state.written, ['SERVING'], 'nothing more written while the first write is in flight');
  f.flush();
  t.same(f.state.written, ['SERVING', 'NOT_SERVING'], 'then only the latest');
  f.flush();
  t.same(f.state.written, ['SERVING', 'NOT_SERVING']);
});

t.test('a status that came back to the one sent is not sent again', async (t) => {
  const f = fakeCall();
  const w = new Watcher('', f.call);
  w.push('SERVING');
  w.push('NOT_SERVING');
  w.push('SERVING');
  f.flush();
  t.same(f.state.written, ['SERVING']);
});

t.test("write() returning false waits for 'drain' as well as for the callback", async (t) => {
  const f = fakeCall();
  const w = new Watcher('', f.call);
  f.state.full = true;
  w.push('SERVING');
  f.flush();
  w.push('NOT_SERVING');
  t.same(f.state.written, ['SERVING'], 'the callback alone does not release a full stream');
  t.equal(f.emitter.listenerCount('drain'), 1);
  f.state.full = false;
  f.emitter.emit('drain');
  t.same(f.state.written, ['SERVING', 'NOT_SERVING']);
  t.equal(f.emitter.listenerCount('drain'), 0);
});

t.test('end() sends the latest unsent status first, then ends; later pushes do nothing', async (t) => {
  const f = fakeCall();
  const w = new Watcher('', f.call);
  w.push('SERVING');
  w.push('NOT_SERVING');
  w.end();
  t.same(f.state.written, ['SERVING', 'NOT_SERVING']);
  t.ok(f.state.ended);
  t.ok(w.isEnded);
  w.push('SERVING');
  f.flush();
  t.same(f.state.written, ['SERVING', 'NOT_SERVING']);
  w.end();
  t.same(f.state.written.length, 2, 'end is idempotent');
});

t.test('end() with nothing new writes nothing more', async (t) => {
  const f = fakeCall();
  const w = new Watcher('', f.call);
  w.push('SERVING');
  f.flush();
  w.end();
  t.same(f.state.written, ['SERVING']);
  t.ok(f.state.ended);
});

t.test("forget() (a cancelled call) drops the pending status and the 'drain' listener", async (t) => {
  const f = fakeCall();
  const w = new Watcher('', f.call);
  f.state.full = true;
  w.push('SERVING');
  w.push('NOT_SERVING');
  t.equal(f.emitter.listenerCount('drain'), 1);
  w.forget();
  t.equal(f.emitter.listenerCount('drain'), 0);
  f.flush();
  f.emitter.emit('drain');
  t.same(f.state.written, ['SERVING']);
});

t.test('a cancelled call is not written to', async (t) => {
  const f = fakeCall();
  const w = new Watcher('', f.call);
  f.state.cancelled = true;
  w.push('SERVING');
  w.end();
  t.same(f.state.written, []);
  t.notOk(f.state.ended, 'a cancelled call is not ended either');
});

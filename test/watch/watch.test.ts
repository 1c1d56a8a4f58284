// Issue 10: `GET /ready?watch` (and the other probes, and /<probe>/<name>) as Server-Sent Events, on all three
// adapters: the current answer first, one event per change, never the same body twice in a row, the end of the
// stream when the shutdown drains, the watcher cap, and no listener left behind by watchers that come and go.
import t from 'tap';
import { createHealth } from '../../src/health.js';
import type { HttpOptions } from '../../src/http/contract.js';
import { ADAPTERS } from '../helpers/adapters.js';
import { request } from '../helpers/http-client.js';
import { recordingLogger } from '../helpers/logger.js';
import { waitFor } from '../helpers/wait.js';
import { openSse } from './sse-client.js';

function setup(extra: { maxWatchers?: number } = {}) {
  const state = { ok: true };
  const health = createHealth({
    shutdown: { exit: false },
    logger: recordingLogger(),
    checks: [
      {
        name: 'db',
        interval: 100,
        timeout: 50,
        failureThreshold: 1,
        run: async () => {
          if (!state.ok) throw new Error('down');
        },
      },
    ],
  });
  return { health, state, http: { ...extra } as HttpOptions };
}

const statusOf = (data: string) => (JSON.parse(data) as { status: string }).status;

for (const [name, make] of Object.entries(ADAPTERS)) {
  t.test(`${name}: /ready?watch follows the answer across a failure and a recovery`, async (t) => {
    const { health, state, http } = setup();
    const base = await make(t, health, http);
    await waitFor(() => health.snapshot().checks.db?.status === 'pass', 'the check to pass');
    const s = await openSse(base, '/ready?watch');
    t.teardown(() => s.close());
    t.equal(s.res.statusCode, 200);
    t.match(s.res.headers['content-type'], /^text\/event-stream/);
    t.equal(s.res.headers['cache-control'], 'no-store');
    t.equal(statusOf(await s.next(() => true)), 'pass', 'the first event is the current answer');
    state.ok = false;
    const failed = await s.next((d) => statusOf(d) === 'fail');
    t.match(JSON.parse(failed), { status: 'fail', checks: { db: { status: 'fail', output: 'reason withheld' } } });
    state.ok = true;
    await s.next((d) => statusOf(d) === 'pass', 1);
    for (let i = 1; i < s.events.length; i++) t.not(s.events[i], s.events[i - 1], `event ${i} differs from the one before`);
    // Each event is the JSON answer, the same body a plain GET gets at that moment.
    const single = await openSse(base, '/ready/db?watch');
    t.teardown(() => single.close());
    t.match(JSON.parse(await single.next(() => true)), { status: 'pass', checks: { db: { status: 'pass' } } });
    const live = await openSse(base, '/live?watch');
    t.teardown(() => live.close());
    t.equal(statusOf(await live.next(() => true)), 'pass');
    const before = s.events.length;
    // The shutdown's drain ends every stream (before the process would exit), so none holds the drain up.
    const done = health.shutdown('test');
    t.equal(statusOf(await s.next((d) => statusOf(d) === 'fail', before)), 'fail', 'readiness fails first, on the stream');
    await Promise.race([
      Promise.all([s.ended, single.ended, live.ended]),
      new Promise((_, reject) => setTimeout(() => reject(new Error('streams did not end')), 5000)),
    ]);
    t.equal((await done).code, 0, 'the shutdown completed cleanly');
  });

  t.test(`${name}: at most maxWatchers streams; past that, 503 with Retry-After`, async (t) => {
    const { health, http } = setup({ maxWatchers: 2 });
    const base = await make(t, health, http);
    const a = await openSse(base, '/ready?watch');
    const b = await openSse(base, '/live?watch');
    t.teardown(() => {
      a.close();
      b.close();
    });
    const c = await request(base, '/ready?watch');
    t.equal(c.statusCode, 503);
    t.equal(c.headers['retry-after'], '5');
    t.match(JSON.parse(c.body), { error: 'Service Unavailable' });
    a.close();
    await waitFor(() => health.listenerCount('run') <= 1, 'the closed stream to be forgotten');
    const d = await openSse(base, '/ready?watch');
    t.equal(d.res.statusCode, 200, 'a slot freed by a closed stream is usable again');
    d.close();
    // A plain GET is never limited.
    t.ok([200, 503].includes((await request(base, '/ready')).statusCode), 'a plain GET is never limited');
    await health.stop();
  });

  t.test(`${name}: 2,000 watchers that come and go leave no listener behind`, async (t) => {
    const { health, http } = setup();
    const base = await make(t, health, http);
    await waitFor(() => health.snapshot().checks.db?.status === 'pass', 'the check to pass');
    const listeners = () => health.listenerCount('run') + health.listenerCount('change');
    const baseline = listeners();
    for (let round = 0; round < 100; round++) {
      const streams = await Promise.all(Array.from({ length: 20 }, () => openSse(base, '/ready?watch')));
      await Promise.all(streams.map((s) => s.next(() => true)));
      for (const s of streams) s.close();
    }
    await waitFor(() => listeners() === baseline, `listeners back to ${baseline} (now ${listeners()})`, 5000);
    t.equal(listeners(), baseline, 'the listener count is where it started');
    await health.stop();
  });
}

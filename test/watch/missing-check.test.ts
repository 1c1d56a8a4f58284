// `GET /ready/<missing>?watch` is the plain GET's 404: same status, headers and body, no stream, no watcher slot;
// and `probekit watch` shows such a URL as an error, never as pass.
import t from 'tap';
import { DEFAULT_STATUS } from '../../src/cli/args.js';
import type { Update } from '../../src/cli/watch-model.js';
import { runSource } from '../../src/cli/watch-source.js';
import { createHealth } from '../../src/health.js';
import { ADAPTERS } from '../helpers/adapters.js';
import { request } from '../helpers/http-client.js';
import { recordingLogger } from '../helpers/logger.js';
import { waitFor } from '../helpers/wait.js';
import { openSse } from './sse-client.js';

function registry() {
  return createHealth({
    shutdown: false,
    logger: recordingLogger(),
    checks: [{ name: 'db', interval: 100, timeout: 50, run: async () => {} }],
  });
}

for (const [name, make] of Object.entries(ADAPTERS)) {
  t.test(`${name}: /ready/<missing>?watch answers the plain 404 and takes no slot`, async (t) => {
    const health = registry();
    const base = await make(t, health, { maxWatchers: 1 });
    const plain = await request(base, '/ready/nope');
    t.equal(plain.statusCode, 404);
    for (let i = 0; i < 3; i++) {
      const watched = await request(base, '/ready/nope?watch');
      t.equal(watched.statusCode, 404, 'a 404, not a stream');
      t.equal(watched.headers['content-type'], plain.headers['content-type']);
      t.equal(watched.headers['cache-control'], 'no-store');
      t.equal(watched.body, plain.body, 'the same body as the plain GET');
    }
    t.equal((await request(base, '/live/db?watch')).statusCode, 404, 'a check of another probe is missing there too');
    // The one slot is still free.
    const s = await openSse(base, '/ready/db?watch');
    t.teardown(() => s.close());
    t.equal(s.res.statusCode, 200);
    t.match(s.res.headers['content-type'], /^text\/event-stream/);
    await health.stop();
  });
}

t.test('probekit watch shows a missing check as an error, never as pass', async (t) => {
  const health = registry();
  const base = await ADAPTERS['node:http'](t, health, {});
  await waitFor(() => health.snapshot().checks.db?.status === 'pass', 'db to pass');
  for (const stream of [true, false]) {
    const updates: Update[] = [];
    const ac = new AbortController();
    const done = runSource({
      url: new URL(`${base}/ready/nope`),
      settings: { timeoutMs: 2000, connectTimeoutMs: 2000, headers: [], userAgent: 'probekit-test', tls: undefined },
      expect: DEFAULT_STATUS,
      intervalMs: 50,
      stream,
      staleMs: 30_000,
      onUpdate: (u) => updates.push(u),
      signal: ac.signal,
    });
    await waitFor(() => updates.length >= 2, 'two updates');
    ac.abort();
    await done;
    for (const u of updates) {
      t.ok('error' in u, `${stream ? 'stream' : 'poll'}: an error (${JSON.stringify(u)})`);
      if ('error' in u) t.match(u.error, /404/);
    }
  }
  await health.stop();
});

// The status page as the three adapters serve it (`statusPage: true`): the page, its stylesheet and script, the
// headers it is built for, the `details` policy, and its `?watch` stream of page models.
import t from 'tap';
import { probekitExpress } from '../../src/express/index.js';
import { createHealth } from '../../src/health.js';
import { ADAPTERS } from '../helpers/adapters.js';
import { request } from '../helpers/http-client.js';
import { recordingLogger } from '../helpers/logger.js';
import { waitFor } from '../helpers/wait.js';
import { openSse } from '../watch/sse-client.js';

function registry() {
  return createHealth({
    shutdown: false,
    logger: recordingLogger(),
    checks: [
      { name: 'db', interval: 200, timeout: 100, run: async () => {} },
      {
        name: 'cache',
        interval: 200,
        timeout: 100,
        failureThreshold: 1,
        run: async () => {
          throw new Error('refused by cache.internal password=hunter2');
        },
      },
    ],
  });
}

for (const [name, make] of Object.entries(ADAPTERS)) {
  t.test(`${name}: the page, its assets, the details policy and the watch stream`, async (t) => {
    const health = registry();
    const base = await make(t, health, { statusPage: true });
    await waitFor(() => health.snapshot().checks.cache?.status === 'fail', 'cache to fail');
    const page = await request(base, '/health');
    t.equal(page.statusCode, 200);
    t.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    t.match(String(page.headers['content-security-policy']), /^default-src 'self'/);
    t.equal(page.headers['cache-control'], 'no-store');
    t.match(page.body, /data-check="db" data-status="pass"/);
    t.match(page.body, /data-check="cache" data-status="fail"/);
    t.ok(page.body.indexOf('data-check="cache"') < page.body.indexOf('data-check="db"'), 'the failing check first');
    t.notOk(page.body.includes('cache.internal'), "details 'never': the error text is withheld");
    t.notOk(/style=|<script>|\son[a-z]+=/i.test(page.body), 'no inline style, script or handler');
    for (const [path, type] of [
      ['/health/status.css', 'text/css; charset=utf-8'],
      ['/health/status.js', 'text/javascript; charset=utf-8'],
    ]) {
      const r = await request(base, path as string);
      t.equal(r.statusCode, 200, String(path));
      t.equal(r.headers['content-type'], type);
      t.equal(r.headers['x-content-type-options'], 'nosniff');
    }
    t.notMatch((await request(base, '/health/other')).body, /data-check/, 'nothing else under the page path is the page');
    const s = await openSse(base, '/health?watch');
    t.teardown(() => s.close());
    t.match(s.res.headers['content-type'], /^text\/event-stream/);
    const model = JSON.parse(await s.next(() => true)) as { checks: { name: string; status: string; history: unknown[] }[] };
    t.same(
      model.checks.map((c) => `${c.name}:${c.status}`),
      ['cache:fail', 'db:pass'],
    );
    const before = s.events.length;
    await s.next(() => true, before);
    t.ok(s.events.length > before, 'a new model after the next run');
    s.close();
    await health.stop();
  });
}

t.test("details 'always' shows the sanitised error text on the page", async (t) => {
  const health = registry();
  const base = await ADAPTERS.fastify?.(t, health, { statusPage: { path: '/status' }, details: 'always' });
  await waitFor(() => health.snapshot().checks.cache?.status === 'fail', 'cache to fail');
  const page = await request(base as string, '/status');
  t.match(page.body, /refused by cache\.internal password=\*\*\*/);
  t.notOk(page.body.includes('hunter2'));
  t.match(page.body, /href="\/status\/status\.css"/);
  await health.stop();
});

t.test('statusPage options are validated', async (t) => {
  const health = createHealth({ shutdown: false });
  for (const bad of [{ path: 'health' }, { path: '/ready' }, 'yes', { path: 1 }]) {
    t.throws(
      () => probekitExpress(health, { statusPage: bad as never }),
      { code: 'PROBEKIT_ERR_OPTION_INVALID' },
      JSON.stringify(bad),
    );
  }
});

// Error text of any shape reaches the bodies of all three adapters (Fastify plugin, Express router, node:http layer)
// safely, with details on: a message that is not text is described without a crash, in a JSON 503 without a stack,
// and secrets in error text (passwords, tokens, keys, URL credentials) are masked in every body and in snapshot().
import t from 'tap';
import type { Check } from '../../src/core/types.js';
import { createHealth } from '../../src/health.js';
import { serveAll } from '../helpers/adapters.js';
import { request } from '../helpers/http-client.js';
import { recordingLogger } from '../helpers/logger.js';
import { waitFor } from '../helpers/wait.js';

/** With `details: 'always'` on every adapter, what a check says reaches the bodies. */
const registry = (checks: Check[]) => createHealth({ checks, shutdown: false, logger: recordingLogger() });

const failing = (name: string, error: unknown): Check => ({
  name,
  interval: 60_000,
  timeout: 1000,
  failureThreshold: 1,
  run: () => Promise.reject(error),
});

t.test('non-string messages with details on: a JSON 503 on every adapter, snapshot() works', async (t) => {
  const health = registry([
    failing('number', Object.assign(new Error('x'), { message: 42 })),
    failing('object', Object.assign(new Error('x'), { message: { nested: true } })),
    failing('symbol', Object.assign(new Error('x'), { message: Symbol('s') })),
    failing('nothing', Object.assign(new Error('x'), { message: undefined })),
  ]);
  const adapters = await serveAll(t, health, { details: 'always' });
  await waitFor(() => Object.values(health.snapshot().checks).every((c) => c.status === 'fail'), 'all four to fail');
  const snap = health.snapshot();
  t.equal(snap.checks.number?.error, '42');
  t.equal(snap.checks.object?.error, 'Error (message is not text)');
  for (const a of adapters) {
    for (const path of ['/ready', '/ready?verbose', '/ready/number', '/ready/object']) {
      const r = await request(a.base, path);
      t.equal(r.statusCode, 503, `${a.name} ${path}: 503`);
      t.notOk(r.body.includes('    at '), `${a.name} ${path}: no stack`);
      if (!path.includes('verbose')) t.doesNotThrow(() => JSON.parse(r.body), `${a.name} ${path}: JSON`);
    }
  }
});

const SECRETS: [string, string][] = [
  ['DB_PASSWORD=hunter2 rest', 'hunter2'],
  ['env PGPASSWORD=pg-secret-1 set', 'pg-secret-1'],
  ['MYSQL_PWD=my-secret-2', 'my-secret-2'],
  ['oauth failed client_secret=cs-secret-3&x=1', 'cs-secret-3'],
  ['access_token=at-secret-4', 'at-secret-4'],
  ['api_key=ak-secret-5', 'ak-secret-5'],
  ['request had Authorization: Bearer br-secret-6 and failed', 'br-secret-6'],
  ['body {"password":"js-secret-7"} rejected', 'js-secret-7'],
  ['connect postgres://app:Zm9v/YmFy+==@db:5432/x refused', 'Zm9v'],
  ['connect mysql://root:p@ss@db:3306/x refused', 'p@ss'],
  ['connect mysql://root:p@ss@db:3306/x refused', 'ss@db'],
  ["secret='quoted secret-8' then", 'secret-8'],
  ['token: tk-secret-9', 'tk-secret-9'],
];

t.test("secrets in error text never reach a body, with details: 'always'", async (t) => {
  const checks = SECRETS.map(([text], i) => failing(`c${i}`, new Error(text)));
  const health = registry(checks);
  const adapters = await serveAll(t, health, { details: 'always' });
  await waitFor(() => Object.values(health.snapshot().checks).every((c) => c.status === 'fail'), 'all to fail');
  for (const a of adapters) {
    const bodies = await Promise.all(
      ['/ready', '/ready?verbose', ...SECRETS.map((_, i) => `/ready/c${i}`)].map((p) => request(a.base, p)),
    );
    const healthJson = await request(a.base, '/ready', { headers: { accept: 'application/health+json' } });
    const all = [...bodies, healthJson].map((b) => b.body).join('\n');
    for (const [, secret] of SECRETS) t.notOk(all.includes(secret), `${a.name}: ${secret} is masked`);
    t.ok(all.includes('DB_PASSWORD=***'), `${a.name}: the key stays, its value is masked`);
    t.ok(all.includes('mysql://***@db:3306/x'), `${a.name}: the whole user:password part is masked`);
  }
  const snap = JSON.stringify(health.snapshot());
  for (const [, secret] of SECRETS) t.notOk(snap.includes(secret), `snapshot(): ${secret} is masked`);
});

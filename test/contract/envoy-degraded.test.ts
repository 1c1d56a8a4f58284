// `envoy: true`: a warn answer of a probe path carries x-envoy-degraded (Envoy then marks the host degraded); pass,
// fail and per-check answers do not, and without the option no answer does. On every adapter.
import t from 'tap';
import { createHealth } from '../../src/health.js';
import { normalizeHttpOptions } from '../../src/http/contract.js';
import { ADAPTERS } from '../helpers/adapters.js';
import { recordingLogger } from '../helpers/logger.js';
import { waitFor } from '../helpers/wait.js';

for (const [name, serve] of Object.entries(ADAPTERS)) {
  t.test(`${name}: x-envoy-degraded on warn answers only`, async (t) => {
    const state = { cache: true, db: true };
    const health = createHealth({ logger: recordingLogger(), shutdown: false });
    health.register({
      name: 'db',
      interval: 50,
      timeout: 20,
      failureThreshold: 1,
      run: async () => state.db || Promise.reject(new Error('x')),
    });
    health.register({
      name: 'cache',
      critical: false,
      interval: 50,
      timeout: 20,
      failureThreshold: 1,
      run: async () => state.cache || Promise.reject(new Error('x')),
    });
    t.teardown(() => health.stop());
    const base = await serve(t, health, { envoy: true });
    const plain = await serve(t, health, {});
    await waitFor(() => health.evaluate('ready') === 'pass', 'pass', 3000);
    let r = await fetch(`${base}/ready`);
    t.equal(r.status, 200);
    t.equal(r.headers.get('x-envoy-degraded'), null, 'pass: no header');
    state.cache = false;
    await waitFor(() => health.evaluate('ready') === 'warn', 'warn', 3000);
    r = await fetch(`${base}/ready`);
    t.equal(r.status, 200);
    t.equal(((await r.json()) as { status: string }).status, 'warn');
    t.equal(r.headers.get('x-envoy-degraded'), 'true', 'warn: degraded');
    t.equal((await fetch(`${base}/ready`, { method: 'HEAD' })).headers.get('x-envoy-degraded'), 'true', 'HEAD too');
    t.equal((await fetch(`${base}/ready?verbose`)).headers.get('x-envoy-degraded'), 'true', 'the text format too');
    t.equal((await fetch(`${base}/ready/cache`)).headers.get('x-envoy-degraded'), null, 'a single check is pass or fail');
    t.equal((await fetch(`${plain}/ready`)).headers.get('x-envoy-degraded'), null, 'not without `envoy`');
    state.db = false;
    await waitFor(() => health.evaluate('ready') === 'fail', 'fail', 3000);
    r = await fetch(`${base}/ready`);
    t.equal(r.status, 503);
    t.equal(r.headers.get('x-envoy-degraded'), null, 'fail: no header (503 says it)');
  });
}

t.test('`envoy` must be a boolean', async (t) => {
  t.throws(() => normalizeHttpOptions({ envoy: 'yes' as unknown as boolean }), {
    code: 'PROBEKIT_ERR_OPTION_INVALID',
    message: /`envoy`/,
  });
  t.equal(normalizeHttpOptions({}).envoy, false);
  t.equal(normalizeHttpOptions({ envoy: true }).remap === undefined, false, 'the answer is remapped only when asked');
  t.equal(normalizeHttpOptions({}).remap, undefined, 'the hot path stays as it was without it');
});

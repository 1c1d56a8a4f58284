// With a big registry, the failing checks come first in every format of all three adapters (Fastify plugin, Express
// router, node:http layer): with 1,000 checks the failing one and its error text are within the first 10 KiB, what a
// prober that reads 10 KiB (the kubelet) sees.
import t from 'tap';
import type { Check } from '../../src/core/types.js';
import { createHealth } from '../../src/health.js';
import { serveAll } from '../helpers/adapters.js';
import { request } from '../helpers/http-client.js';
import { recordingLogger } from '../helpers/logger.js';
import { waitFor } from '../helpers/wait.js';

t.test('with 1,000 checks the failing one is in the first 10 KiB of every format', async (t) => {
  const checks: Check[] = Array.from({ length: 1000 }, (_, i) => ({
    name: `check-${String(i).padStart(4, '0')}`,
    interval: 60_000,
    timeout: 1000,
    failureThreshold: 1,
    run: async () => {
      if (i === 998) throw new Error('the one that fails');
    },
  }));
  const health = createHealth({ checks, shutdown: false, logger: recordingLogger() });
  const adapters = await serveAll(t, health, { details: 'always' });
  await waitFor(() => health.snapshot().checks['check-0998']?.status === 'fail', 'the failing check', 10_000);
  await waitFor(() => Object.values(health.snapshot().checks).every((c) => c.status !== 'unknown'), 'all to have run');
  for (const a of adapters) {
    for (const [path, accept] of [
      ['/ready', '*/*'],
      ['/ready', 'application/health+json'],
      ['/ready?verbose', '*/*'],
    ] as const) {
      const r = await request(a.base, path, { headers: { accept } });
      t.equal(r.statusCode, 503);
      t.ok(r.body.length > 10 * 1024, `${a.name} ${path} ${accept}: a big body (${r.body.length} bytes)`);
      const at = r.body.indexOf('check-0998');
      t.ok(at !== -1 && at < 1024, `${a.name} ${path} ${accept}: the failing check at byte ${at}`);
      t.ok(r.body.slice(0, 10 * 1024).includes('the one that fails'), `${a.name}: its error text in the first 10 KiB`);
    }
  }
});

// A truly blocked event loop (synchronous work for maxBlockMs + 2 s): the probe server's /live turns 503 with
// reason `blocked`, and passes again once the loop turns.

import t from 'tap';
import { exclusive } from '../helpers/exclusive.js';
import { request } from '../helpers/http-client.js';
import { during, reasonOf, startBusyApp, startProber } from './harness.js';

// Real load on the machine: one such file at a time (see test/helpers/exclusive.ts).
await exclusive('load');

t.test('a blocked event loop fails the probe server’s /live with reason blocked, then it recovers', async (t) => {
  const app = await startBusyApp({ MAX_BLOCK_MS: '1000' });
  t.teardown(app.kill);
  const prober = startProber(app.probePort, '/live', 250);
  t.teardown(() => prober.stop());
  await during(1000);
  const res = await request(`http://127.0.0.1:${app.appPort}`, '/block?ms=3000');
  t.equal(res.statusCode, 200, 'the block started');
  // 3 s of block, then time for the loop to turn and the heartbeat to land.
  await during(5000);
  const runs = await prober.stop();
  const failedAt = runs.findIndex((r) => r.outcome.result === 'failure');
  t.ok(failedAt > 0, 'the probes passed before the block');
  const failures = runs.filter((r) => r.outcome.result === 'failure');
  t.ok(failures.length >= 2, `/live failed during the block (${failures.length} probes)`);
  for (const f of failures) {
    t.equal(f.outcome.statusCode, 503, 'answered 503, never timed out');
    t.equal(reasonOf(f.outcome), 'blocked', 'with reason blocked');
  }
  const last = runs.slice(-4);
  t.ok(
    last.every((r) => r.outcome.result === 'success'),
    'the last probes passed again once the loop turned',
  );
  const firstBlocked = failures[0]?.at ?? 0;
  const blockStarted = runs.find((r) => r.at > 1000)?.at ?? 1000;
  t.ok(firstBlocked - blockStarted < 3000, 'it failed within the block, about maxBlockMs after it began');
});

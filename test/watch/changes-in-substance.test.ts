// A `?watch` stream sends an event when what it shows changes in substance (a status, a reason, a check's status
// or output), at once; a run that only moves `lastRun`, `durationMs` or the streaks causes an event at most once per
// `watchInterval`. On each adapter, with checks that run every 20 ms.
import t from 'tap';
import { InvalidOptionError } from '../../src/core/errors.js';
import { createHealth } from '../../src/health.js';
import { normalizeHttpOptions } from '../../src/http/contract.js';
import { ADAPTERS } from '../helpers/adapters.js';
import { recordingLogger } from '../helpers/logger.js';
import { waitFor } from '../helpers/wait.js';
import { openSse } from './sse-client.js';

function setup() {
  const state = { ok: true, output: 'v1', runs: 0 };
  const health = createHealth({
    shutdown: { exit: false },
    logger: recordingLogger(),
    defaults: { interval: 20, timeout: 10, failureThreshold: 1 },
    checks: [
      {
        name: 'db',
        run: async () => {
          state.runs++;
          if (!state.ok) throw new Error('down');
        },
      },
      { name: 'disk', probes: ['live', 'ready'], run: async () => ({ output: state.output }) },
    ],
  });
  return { health, state };
}

type Body = { status: string; checks: Record<string, { status: string; output?: string; lastRun: string }> };
const parse = (data: string) => JSON.parse(data) as Body;

for (const [name, make] of Object.entries(ADAPTERS)) {
  t.test(`${name}: runs that change nothing send nothing; a status or output change is sent at once`, async (t) => {
    const { health, state } = setup();
    const base = await make(t, health, { watchInterval: 60_000 });
    await waitFor(() => health.snapshot().checks.db?.status === 'pass', 'db to pass');
    const s = await openSse(base, '/ready?watch');
    t.teardown(() => s.close());
    await s.next(() => true);
    const runs = state.runs;
    await waitFor(() => state.runs >= runs + 25, '25 more runs');
    t.equal(s.events.length, 1, `25 runs that changed nothing: no event (got ${s.events.length})`);
    state.ok = false;
    t.equal(parse(await s.next((d) => parse(d).status === 'fail', 1)).checks.db?.status, 'fail', 'a failure is sent');
    const afterFail = s.events.length;
    state.output = 'v2';
    const moved = parse(await s.next((d) => parse(d).checks.disk?.output === 'v2', afterFail));
    t.equal(moved.checks.disk?.output, 'v2', 'an output change is sent');
    await health.stop();
  });

  t.test(`${name}: run-by-run fields ride along at most once per watchInterval`, async (t) => {
    const { health, state } = setup();
    const base = await make(t, health, { watchInterval: 400 });
    await waitFor(() => health.snapshot().checks.db?.status === 'pass', 'db to pass');
    const s = await openSse(base, '/ready/db?watch');
    t.teardown(() => s.close());
    const first = parse(await s.next(() => true));
    const opened = Date.now();
    const second = parse(await s.next(() => true, 1, 5000));
    t.ok(second.checks.db?.lastRun !== first.checks.db?.lastRun, 'a later event carries the newer lastRun');
    const runs = state.runs;
    await waitFor(() => Date.now() - opened >= 1300, '1.3 s');
    const elapsed = Date.now() - opened;
    t.ok(state.runs - runs > 20, 'the check kept running');
    // One event at the open, then at most one per 400 ms: 1 + floor(elapsed / 400), plus one for timer slack.
    t.ok(s.events.length <= 2 + Math.floor(elapsed / 400), `${s.events.length} events in ${elapsed} ms`);
    await health.stop();
  });
}

t.test('watchInterval is validated', async (t) => {
  for (const bad of [0, 99, 1.5, 3_600_001, '5000', false, Number.NaN]) {
    t.throws(() => normalizeHttpOptions({ watchInterval: bad as never }), InvalidOptionError, String(bad));
  }
  t.equal(normalizeHttpOptions({}).watchInterval, 5000, 'default 5000 ms');
  t.equal(normalizeHttpOptions({ watchInterval: 100 }).watchInterval, 100);
  const health = createHealth({ shutdown: false, logger: recordingLogger() });
  const Fastify = (await import('fastify')).default;
  const probekit = (await import('../../src/fastify/index.js')).default;
  const app = Fastify({ logger: false });
  await app.register(probekit, { health, watchInterval: 1000 });
  await t.resolves(async () => {
    await app.ready();
  }, 'the Fastify plugin takes the option');
  await app.close();
  const bad = Fastify({ logger: false });
  bad.register(probekit, { health: createHealth({ shutdown: false }), watchInterval: 5 });
  await t.rejects(
    async () => {
      await bad.ready();
    },
    { code: 'PROBEKIT_ERR_OPTION_INVALID' },
    'and validates it',
  );
});

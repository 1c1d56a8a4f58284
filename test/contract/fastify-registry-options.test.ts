// Every option of the registry (HealthOptions) is accepted by the Fastify plugin and reaches the registry it creates:
// one key list serves the registry's unknown-key check and the plugin.
import Fastify from 'fastify';
import t from 'tap';
import { HEALTH_OPTION_KEYS, type HealthOptions } from '../../src/core/health.js';
import probekit, { type ProbekitFastifyOptions } from '../../src/fastify/index.js';
import { fakeClock } from '../helpers/clock.js';
import { recordingLogger } from '../helpers/logger.js';

async function readyError(options: ProbekitFastifyOptions): Promise<unknown> {
  const app = Fastify({ logger: false });
  app.register(probekit, options);
  try {
    await app.ready();
    return undefined;
  } catch (err) {
    return err;
  } finally {
    await app.close();
  }
}

t.test('historySize goes through the plugin: the snapshot keeps that many runs', async (t) => {
  const clock = fakeClock();
  let ok = true;
  const app = Fastify({ logger: false });
  await app.register(probekit, {
    shutdown: false,
    historySize: 2,
    timers: clock.timers,
    checks: [
      {
        name: 'db',
        interval: 1000,
        run: async () => {
          if (!ok) throw new Error('down');
        },
      },
    ],
  });
  await app.ready();
  await clock.tick(0);
  ok = false;
  for (let i = 0; i < 4; i++) await clock.tick(1000);
  const history = app.health.snapshot().checks.db?.history ?? [];
  t.same(
    history.map((e) => e.result),
    ['failure', 'failure'],
    'the last two of five runs',
  );
  await app.close();
});

// A value the registry refuses, per option: the registry's own message names the option, so the option reached it.
const BAD: { readonly [K in keyof Required<HealthOptions>]: unknown } = {
  checks: 'db',
  defaults: { interval: 0 },
  logger: 42,
  timers: 42,
  closeTimeout: 0,
  shutdown: 42,
  historySize: -1,
  probeServer: 42,
  overload: 42,
  fleet: 42,
};

t.test('every registry option reaches the registry the plugin creates', async (t) => {
  t.same([...HEALTH_OPTION_KEYS].sort(), Object.keys(BAD).sort(), 'the table covers every key');
  for (const key of HEALTH_OPTION_KEYS) {
    const error = await readyError({ shutdown: false, [key]: BAD[key] } as ProbekitFastifyOptions);
    t.match(error, { code: 'PROBEKIT_ERR_OPTION_INVALID' }, `${key}: refused`);
    t.notMatch(String(error), /Unknown option/, `${key}: known to the plugin`);
    t.match(String(error), new RegExp(`\`${key}\``), `${key}: the registry's message names it`);
  }
});

t.test('every registry option given together with `health` is refused, historySize included', async (t) => {
  const { createHealth } = await import('../../src/health.js');
  const health = createHealth({ shutdown: false, logger: recordingLogger() });
  for (const key of HEALTH_OPTION_KEYS) {
    const error = await readyError({ health, [key]: BAD[key] } as ProbekitFastifyOptions);
    t.match(String(error), new RegExp(`\`${key}\` cannot be combined with \`health\``), key);
  }
  await health.stop();
});

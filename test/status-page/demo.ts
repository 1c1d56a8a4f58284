// The registry behind the browser test and the screenshot: real checks on a real schedule, one of which (`redis`)
// passes for a while and then fails for good (connection refused is fatal), one non-critical check that times out
// now and then but stays passing, and passing ones with values and output.
import { setTimeout as sleep } from 'node:timers/promises';
import { createHealth, type Health } from '../../src/health.js';
import { recordingLogger } from '../helpers/logger.js';

/** The demo's check names, in registration order. */
export const DEMO_CHECKS = ['postgres', 'redis', 'search', 'payments-api', 'event-loop'] as const;
/** The error the failing check throws; it must not show on a page without details. */
export const DEMO_ERROR = 'connect ECONNREFUSED 127.0.0.1:6379';
const INTERVAL = 100;

function refused(): Error {
  return Object.assign(new Error(DEMO_ERROR), { code: 'ECONNREFUSED' });
}

/** A started registry; `redis` fails from its `failAfter`-th run on. Stop it with `health.stop()`. */
export function demoHealth(failAfter = 25): Health {
  let redisRuns = 0;
  let searchRuns = 0;
  const health = createHealth({
    logger: recordingLogger(),
    shutdown: false,
    defaults: { interval: INTERVAL, timeout: 60 },
    checks: [
      {
        name: 'postgres',
        async run() {
          await sleep(3);
          return { observedValue: 2, observedUnit: 'replicas', output: 'primary 10.0.4.12' };
        },
      },
      {
        name: 'redis',
        async run() {
          redisRuns++;
          await sleep(1);
          if (redisRuns >= failAfter) throw refused();
        },
      },
      {
        name: 'search',
        critical: false,
        async run(signal) {
          searchRuns++;
          // Every 11th run hangs until its timeout: amber slots in the strip, the check itself stays `pass`.
          if (searchRuns % 11 === 5) await sleep(1000, undefined, { signal }).catch(() => undefined);
          else await sleep(8);
          return { output: 'cluster green' };
        },
      },
      {
        name: 'payments-api',
        async run() {
          await sleep(14);
        },
      },
      {
        name: 'event-loop',
        probes: ['live'],
        async run() {
          return { observedValue: 1.4, observedUnit: 'ms' };
        },
      },
    ],
  });
  health.start();
  return health;
}

/** Resolves once every check has at least `runs` results in its history (or after `timeoutMs`). */
export async function untilHistory(health: Health, runs: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const checks = Object.values(health.snapshot().checks);
    if (checks.every((c) => c.history.length >= runs)) return;
    await sleep(50);
  }
}

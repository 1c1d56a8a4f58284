// The adaptive shutdown delay (issue 12), on a fake clock: the drain starts once `min` has passed and no request has
// arrived for `quiet`, at the latest at `max`; a fixed delay is a plain timer and watches nothing.
import t from 'tap';
import { type DelayOutcome, normalizeDelay, waitDelay } from '../../src/core/delay.js';
import type { DrainTarget } from '../../src/core/drain-target.js';
import { normalizeShutdown } from '../../src/core/shutdown.js';
import { fakeClock } from '../helpers/clock.js';

function target() {
  const listeners = new Set<() => void>();
  const t: DrainTarget & { traffic(): void; watching(): number } = {
    drain: async () => {},
    destroy: () => {},
    openWork: () => ({ requests: [], connections: 0 }),
    watchTraffic(on) {
      listeners.add(on);
      return () => listeners.delete(on);
    },
    traffic: () => {
      for (const l of listeners) l();
    },
    watching: () => listeners.size,
  };
  return t;
}

async function run(delay: unknown, traffic: (ms: number) => boolean, until = 30_000) {
  const fc = fakeClock();
  const a = target();
  let out: DelayOutcome | undefined;
  let at = -1;
  const t0 = fc.timers.now();
  void waitDelay(normalizeDelay(delay, false), [a], fc.timers).then((o) => {
    out = o;
    at = fc.timers.now() - t0;
  });
  for (let ms = 0; ms <= until && out === undefined; ms += 100) {
    if (traffic(ms)) a.traffic();
    await fc.tick(100);
  }
  return { out, at, watching: a.watching() };
}

t.test('traffic that never stops: the drain starts at max', async (t) => {
  const r = await run({ min: 1000, max: 5000, quiet: 2000 }, () => true);
  t.equal(r.at, 5000);
  t.match(r.out, { reason: 'max', waitedMs: 5000 });
  t.ok((r.out?.requests ?? 0) >= 49, `requests counted (${r.out?.requests})`);
  t.equal(r.watching, 0, 'the traffic listener is removed');
});

t.test('no traffic at all: min is honoured, then the quiet window from the signal', async (t) => {
  t.match((await run({ min: 3000, max: 10_000, quiet: 1000 }, () => false)).out, {
    waitedMs: 3000,
    reason: 'quiet',
    requests: 0,
    lastRequestMs: null,
  });
  t.match((await run({ min: 500, max: 10_000, quiet: 2000 }, () => false)).out, { waitedMs: 2000, reason: 'quiet' });
});

t.test('traffic that stops: the drain starts quiet ms after the last request', async (t) => {
  const r = await run({ min: 1000, max: 10_000, quiet: 2000 }, (ms) => ms <= 3000);
  t.equal(r.out?.reason, 'quiet');
  t.equal(r.out?.lastRequestMs, 3000);
  t.equal(r.at, 5000, 'last request at 3000 + quiet 2000');
});

t.test('a fixed delay is a timer and watches nothing', async (t) => {
  const r = await run(1500, () => true);
  t.match(r.out, { reason: 'fixed', waitedMs: 1500, requests: 0 });
  const zero = await run(0, () => true);
  t.match(zero.out, { reason: 'fixed', waitedMs: 0 });
});

t.test('quiet: 0 drains at min, not at max, traffic or not', async (t) => {
  const busy = await run({ min: 1500, max: 20_000, quiet: 0 }, () => true);
  t.equal(busy.at, 1500, 'at min, although requests keep coming');
  t.match(busy.out, { reason: 'quiet', waitedMs: 1500 });
  t.equal(busy.watching, 0, 'the traffic listener is removed');
  const idle = await run({ min: 700, max: 20_000, quiet: 0 }, () => false);
  t.match(idle.out, { reason: 'quiet', waitedMs: 700, requests: 0 });
  const none = await run({ min: 0, max: 20_000, quiet: 0 }, () => true);
  t.match(none.out, { waitedMs: 0 }, 'min 0: at once');
});

t.test('options: numbers, the Kubernetes default, validation', async (t) => {
  t.same(normalizeDelay(undefined, true), { min: 1000, max: 10_000, quiet: 2000 });
  t.same(normalizeDelay(undefined, false), { min: 0, max: 0, quiet: 0 });
  t.same(normalizeDelay({ min: 500 }, false), { min: 500, max: 10_000, quiet: 2000 });
  t.same(normalizeShutdown(undefined, { KUBERNETES_SERVICE_HOST: '10.0.0.1' }).delay, { min: 1000, max: 10_000, quiet: 2000 });
  for (const bad of [-1, 1.5, '5', { min: 6000, max: 5000 }, { mn: 1 }, null, []]) {
    t.throws(() => normalizeDelay(bad, false), { code: 'PROBEKIT_ERR_OPTION_INVALID' }, JSON.stringify(bad));
  }
  t.throws(() => normalizeShutdown({ delay: { max: 30_000 }, timeout: 25_000 }), { code: 'PROBEKIT_ERR_OPTION_INVALID' });
});

// How fast `app.inject` answers `/ready` in-process: the soak prints it to show why it uses a real listener.
import Fastify from 'fastify';
import probekit from 'probekit/fastify';
import { makeChecks } from '../servers/common.js';

/** Injects `count` GET /ready (bounded: stops after `maxMs` too) and returns the rate per second. */
export async function injectRate(count: number, maxMs: number): Promise<{ requests: number; perSecond: number }> {
  const app = Fastify({ logger: false });
  await app.register(probekit, { checks: makeChecks('free'), shutdown: false });
  await app.ready();
  try {
    // Let the first runs complete, so that /ready answers 200 as it does under load.
    const until = Date.now() + 2000;
    while ((await app.inject({ method: 'GET', url: '/ready' })).statusCode !== 200 && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const started = performance.now();
    let n = 0;
    while (n < count && performance.now() - started < maxMs) {
      await app.inject({ method: 'GET', url: '/ready' });
      n++;
    }
    return { requests: n, perSecond: n / ((performance.now() - started) / 1000) };
  } finally {
    await app.close();
  }
}

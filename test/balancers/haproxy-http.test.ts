// Behind a real HAProxy: two instances of an example app, health-checked on /ready every second, steady keep-alive
// load through the proxy, SIGTERM one backend in the middle: no request fails, HAProxy marks the backend DOWN before
// its listener closes, and the process exits 0 within its timeout.
import { Agent, request } from 'node:http';
import t from 'tap';
import { skipReason } from '../services/services.js';
import { frontConfig, startHaproxy, until } from '../shutdown/haproxy.js';
import { freePort, startApp } from '../shutdown/proc.js';

const reason = await skipReason(['haproxy']);
if (reason) t.plan(0, reason);

interface LoadResult {
  sent: number;
  ok: number;
  failed: { status?: number; error?: string }[];
  seconds: number;
}

/** Paced keep-alive load: `rate` requests/s for `seconds`, bounded in count and time. */
function load(port: number, rate: number, seconds: number): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const result: LoadResult = { sent: 0, ok: 0, failed: [], seconds };
  const total = rate * seconds;
  const started = Date.now();
  let outstanding = 0;
  return new Promise((resolve) => {
    const fire = () => {
      result.sent++;
      outstanding++;
      const req = request({ host: '127.0.0.1', port, path: '/', agent, timeout: 10_000 }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) result.ok++;
          else result.failed.push({ status: res.statusCode ?? 0 });
          done();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err) => {
        result.failed.push({ error: String(err) });
        done();
      });
      req.end();
    };
    const done = () => {
      outstanding--;
      if (result.sent >= total && outstanding === 0) {
        agent.destroy();
        result.seconds = (Date.now() - started) / 1000;
        resolve(result);
      }
    };
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * rate));
      while (result.sent < due) fire();
      if (result.sent >= total) clearInterval(tick);
    }, 5);
  });
}

/** The fixed delay these tests use (HAProxy needs `inter 1s x fall 2` plus a margin), and the adaptive one. */
const FIXED = '4000';
const ADAPTIVE = JSON.stringify({ min: 1000, max: 10_000, quiet: 1000 });
/** SIGTERM-to-exit time of each run, to compare the adaptive delay with the fixed one of the same run. */
const exitTimes: Record<string, number> = {};

const VARIANTS = reason
  ? []
  : [
      { example: 'examples/fastify.ts', delay: FIXED },
      { example: 'examples/express.ts', delay: FIXED },
      { example: 'examples/fastify.ts', delay: ADAPTIVE },
      { example: 'examples/express.ts', delay: ADAPTIVE },
    ];

for (const { example, delay } of VARIANTS) {
  const adaptive = delay.startsWith('{');
  t.test(
    `${example} behind HAProxy, ${adaptive ? 'adaptive' : 'fixed'} delay ${delay}: SIGTERM under load drops nothing`,
    async (t) => {
      const env = { SHUTDOWN_DELAY: delay, SHUTDOWN_TIMEOUT: '15000', LOG_LEVEL: 'info' };
      const [a, b] = await Promise.all([startApp(example, env), startApp(example, env)]);
      t.teardown(() => {
        a.kill();
        b.kill();
      });
      const front = await freePort();
      const haproxy = await startHaproxy(
        frontConfig('http', front, { a: `127.0.0.1:${a.port}`, b: `127.0.0.1:${b.port}` }, 'inter 1s fall 2 rise 1'),
      );
      t.teardown(() => haproxy.stop());
      const hlog = haproxy.log;
      await until('both backends UP', 20_000, async () => {
        const s = await haproxy.states();
        return s.a === 'UP' && s.b === 'UP' ? true : undefined;
      });

      const running = load(front, 400, 10);
      await new Promise((r) => setTimeout(r, 3000));
      const signalledAt = Date.now();
      a.child.kill('SIGTERM');
      const downAt = await until('HAProxy marks a DOWN', 10_000, async () =>
        (await haproxy.states()).a?.startsWith('DOWN') ? Date.now() : undefined,
      );
      const code = await a.exited(20_000);
      const exitedAt = Date.now();
      const result = await running;

      const drainLine = a.lines.find((l) => l.msg === 'probekit: shutdown delay over, draining connections');
      t.ok(drainLine, 'the backend logged the start of its drain (listener closing)');
      t.ok(
        typeof drainLine?.time === 'number' && downAt < drainLine.time,
        `HAProxy marked it DOWN (${downAt - signalledAt} ms after SIGTERM) before its listener closed (${(drainLine?.time ?? 0) - signalledAt} ms)`,
      );
      t.same(result.failed.slice(0, 5), [], `no failed or reset request (${result.failed.length} of ${result.sent})`);
      t.equal(result.ok, result.sent, 'every request answered 200');
      t.ok(result.sent / result.seconds >= 300, `at least 300 requests/s (${Math.round(result.sent / result.seconds)})`);
      t.equal(code, 0, 'the backend exited 0');
      const took = exitedAt - signalledAt;
      exitTimes[`${example} ${adaptive ? 'adaptive' : 'fixed'}`] = took;
      t.comment(
        `SIGTERM to exit: ${took} ms; delay waited ${String(drainLine?.delayMs)} ms (${String(drainLine?.delayReason)}), last request ${String(drainLine?.lastRequestMs)} ms after SIGTERM, ${String(drainLine?.requests)} requests during the delay`,
      );
      if (adaptive) {
        t.equal(drainLine?.delayReason, 'quiet', 'the drain began because traffic had stopped, not at max');
        t.ok(typeof drainLine?.lastRequestMs === 'number', 'traffic went on after SIGTERM until HAProxy took the backend out');
        const fixed = exitTimes[`${example} fixed`];
        if (fixed !== undefined) t.ok(took < fixed, `faster than the fixed ${FIXED} ms delay (${took} ms against ${fixed} ms)`);
      }
      const exitLine = a.lines.find((l) => l.msg === 'probekit: shutdown complete, exit code 0');
      t.ok(exitLine === undefined || (exitLine.durationMs as number) < 15_000, 'within its shutdown timeout');
      t.comment(
        `HAProxy said: ${hlog
          .join('')
          .trim()
          .split('\n')
          .filter((l) => l.includes('be/a'))
          .join(' | ')}`,
      );
    },
  );
}

// The three HTTP adapters as the kubelet sees them: the Fastify plugin, the Express router and the node:http layer,
// probed by a client with the kubelet's prober rules (prober.ts). Startup, readiness and liveness pass and fail as
// the checks do; a 1,000-check registry shows its failing check within the 10 KiB the prober reads; the answer comes
// within the prober's timeout while a check hangs; and through a shutdown with a delay, readiness fails while
// liveness keeps passing, so the kubelet takes the pod out of the endpoints and does not restart it.
import { performance } from 'node:perf_hooks';
import t from 'tap';
import type { HealthOptions } from '../../src/core/health.js';
import type { Check } from '../../src/core/types.js';
import { createHealth } from '../../src/health.js';
import { ADAPTER_NAMES, type AdapterName, type Served, serve } from '../helpers/adapters.js';
import { recordingLogger } from '../helpers/logger.js';
import { deferred, waitFor } from '../helpers/wait.js';
import { kubeletHttpProbe, MAX_BODY_BYTES, ProbeWorker, passed } from './prober.js';

/** A registry from `createHealth`, served by one adapter on a loopback port; `close` undoes everything, even twice. */
function served(kind: AdapterName, options: HealthOptions): Promise<Served> {
  return serve(kind, createHealth({ logger: recordingLogger(), ...options }));
}

/** A check whose result the test sets. */
function flag(name: string, options: Partial<Check> = {}) {
  const control = { ok: true };
  const check: Check = {
    name,
    interval: 50,
    timeout: 25,
    failureThreshold: 1,
    ...options,
    run: async () => {
      if (!control.ok) throw new Error(`${name} down`);
    },
  };
  return { check, control };
}

const FAILED_503 = 'HTTP probe failed with statuscode: 503';

for (const kind of ADAPTER_NAMES) {
  t.test(`${kind}: startup, readiness and liveness pass and fail as the checks do`, async (t) => {
    const db = flag('db');
    const loop = flag('loop', { probes: ['live'] });
    db.control.ok = false;
    const s = await served(kind, { shutdown: false, checks: [db.check, loop.check] });
    t.teardown(() => s.close());
    const probe = (path: string) => kubeletHttpProbe({ port: s.port, path });

    await waitFor(() => s.health.snapshot().checks.db?.status === 'fail', 'db to fail its first run');
    t.match(await probe('/startup'), { result: 'failure', output: FAILED_503 }, 'startup: db never passed');
    t.match(await probe('/ready'), { result: 'failure', output: FAILED_503 });
    t.match(await probe('/live'), { result: 'success', statusCode: 200 }, 'liveness does not wait for dependencies');

    db.control.ok = true;
    await waitFor(() => s.health.evaluate('ready') === 'pass', 'db to pass');
    t.match(await probe('/startup'), { result: 'success', statusCode: 200 });
    const ready = await probe('/ready');
    t.match(ready, { result: 'success', statusCode: 200 });
    t.match(JSON.parse(ready.output), { status: 'pass' }, 'on success the output is the body');

    db.control.ok = false;
    await waitFor(() => s.health.evaluate('ready') === 'fail', 'db to fail');
    t.match(await probe('/ready'), { result: 'failure', output: FAILED_503 }, 'readiness follows the check');
    t.match(await probe('/startup'), { result: 'success' }, 'startup stays passed');
    t.match(await probe('/live'), { result: 'success' }, 'a dependency never fails liveness');

    loop.control.ok = false;
    await waitFor(() => s.health.evaluate('live') === 'fail', 'loop to fail');
    t.match(await probe('/live'), { result: 'failure', output: FAILED_503 }, 'liveness follows its own check');
    loop.control.ok = true;
    db.control.ok = true;
    await waitFor(() => s.health.evaluate('live') === 'pass' && s.health.evaluate('ready') === 'pass', 'recovery');
    t.ok(passed(await probe('/live')));
    t.ok(passed(await probe('/ready')));
  });

  t.test(`${kind}: 1,000 checks; the failing one is within the 10 KiB the prober reads`, async (t) => {
    const checks: Check[] = [];
    for (let i = 0; i < 1000; i++) {
      const name = `dep-${String(i).padStart(4, '0')}`;
      // The failing check is registered last: only the order of the body brings it to the front.
      const ok = i !== 999;
      checks.push({
        name,
        interval: 60_000,
        timeout: 1000,
        failureThreshold: 1,
        run: async () => {
          if (!ok) throw new Error('down');
        },
      });
    }
    const s = await served(kind, { shutdown: false, checks, historySize: 0 });
    t.teardown(() => s.close());
    await waitFor(
      () => Object.values(s.health.snapshot().checks).every((c) => c.status !== 'unknown'),
      'every check to have run',
      20_000,
      20,
    );
    const ready = await kubeletHttpProbe({ port: s.port, path: '/ready' });
    t.match(ready, { result: 'failure', output: FAILED_503, statusCode: 503, truncated: true });
    t.equal(Buffer.byteLength(ready.body), MAX_BODY_BYTES, 'the body is longer than what the prober reads');
    t.match(ready.body, /"dep-0999":\{"status":"fail"/, 'the failing check is in the part the kubelet reads and logs');
    t.ok(ready.elapsedMs < 1000, `answered in ${Math.round(ready.elapsedMs)} ms, within timeoutSeconds 1`);
    const verbose = await kubeletHttpProbe({ port: s.port, path: '/ready?verbose' });
    t.match(verbose, { result: 'failure', truncated: true });
    t.match(verbose.body, /^\[-\]dep-0999 failed/, '?verbose: the failing check on the first line');
    t.match(await kubeletHttpProbe({ port: s.port, path: '/live' }), { result: 'success' }, 'no live check: passing');
  });

  t.test(`${kind}: the answer comes within the prober's timeout while a check hangs`, async (t) => {
    const hang = deferred();
    const stuck: Check = {
      name: 'stuck',
      interval: 400,
      timeout: 200,
      failureThreshold: 1,
      // Ignores its signal: the run stays in flight past its timeout (and past the next tick).
      run: () => hang.promise,
    };
    const s = await served(kind, { shutdown: false, checks: [stuck, flag('loop', { probes: ['live'] }).check] });
    t.teardown(async () => {
      hang.resolve();
      await s.close();
    });
    const elapsed: number[] = [];
    const wrong: string[] = [];
    // Probe all through the first run, its timeout and the ticks that find it still in flight (bounded: the check
    // records its second failure within 2 intervals; 5 s is generous slack).
    const deadline = Date.now() + 5000;
    while ((s.health.snapshot().checks.stuck?.consecutiveFailures ?? 0) < 2 && Date.now() < deadline) {
      for (const path of ['/startup', '/ready', '/live']) {
        const o = await kubeletHttpProbe({ port: s.port, path, timeoutSeconds: 1 });
        elapsed.push(o.elapsedMs);
        // Only /live passes: the hung check is a critical ready check, and it gates startup.
        if (o.statusCode === undefined || passed(o) !== (path === '/live')) wrong.push(`${path}: ${o.output.slice(0, 80)}`);
      }
    }
    t.ok((s.health.snapshot().checks.stuck?.consecutiveFailures ?? 0) >= 2, 'the run hung past its timeout and the next tick');
    t.same(wrong, [], 'every probe got its answer (none hit the deadline): /live passes, /ready and /startup fail');
    const max = Math.max(...elapsed);
    t.ok(max < 1000, `${elapsed.length} probes, the slowest answered in ${Math.round(max)} ms (< timeoutSeconds 1)`);
    t.equal(s.health.snapshot().checks.stuck?.status, 'fail', 'the hung check is failed, by its own timeout');
  });

  t.test(`${kind}: through health.shutdown(), readiness fails while liveness keeps passing`, async (t) => {
    const delay = 3000;
    const db = flag('db');
    const s = await served(kind, {
      shutdown: { delay, timeout: 10_000, exit: false, signals: ['SIGUSR2'] },
      checks: [db.check, flag('loop', { probes: ['live'] }).check],
    });
    t.teardown(() => s.close());
    const probe = (path: string) => () => kubeletHttpProbe({ port: s.port, path });
    // The deployment.yaml probes, ten times faster: readiness 100 ms x 2, liveness 100 ms x 3.
    const readiness = new ProbeWorker(probe('/ready'), { periodMs: 100, failureThreshold: 2, initial: 'failure' });
    const liveness = new ProbeWorker(probe('/live'), { periodMs: 100, failureThreshold: 3, initial: 'success' });
    t.teardown(() => {
      readiness.stop();
      liveness.stop();
    });
    readiness.start();
    liveness.start();
    await waitFor(() => readiness.state === 'success', 'the kubelet to see the pod ready', 5000);

    const t0 = performance.now();
    const done = s.health.shutdown('test');
    await waitFor(() => readiness.state === 'failure', 'the kubelet to take the pod out of the endpoints', delay);
    const unreadyAfter = performance.now() - t0;
    t.ok(unreadyAfter < delay, `unready after ${Math.round(unreadyAfter)} ms, inside the ${delay} ms delay`);
    const startup = await kubeletHttpProbe({ port: s.port, path: '/startup' });
    t.ok(passed(startup), 'startup stays passed');
    // Enough liveness probes inside the delay, while the listener still accepts.
    const since = (w: ProbeWorker) => w.runs.filter((r) => r.at >= t0 - w.startedAt && r.at < t0 - w.startedAt + delay - 500);
    await waitFor(() => since(liveness).length >= 8, 'liveness probes during the delay', delay);
    readiness.stop();
    liveness.stop();
    const live = since(liveness);
    t.same(
      live.filter((r) => !r.passed).map((r) => r.output),
      [],
      `all ${live.length} liveness probes in the delay passed`,
    );
    t.equal(liveness.state, 'success', 'the kubelet never restarts the container');
    t.same(
      liveness.flips.filter((f) => f.to === 'failure'),
      [],
      'no liveness flip',
    );
    const unready = since(readiness);
    t.ok(
      unready.length >= 2 && unready.every((r) => !r.passed),
      `all ${unready.length} readiness probes since the signal failed`,
    );
    const result = await done;
    t.match(result, { code: 0, timedOut: false });
    t.ok(result.durationMs >= delay - 50, `the shutdown served through its delay (${Math.round(result.durationMs)} ms)`);
    // After the drain the listener is gone; the kubelet stopped liveness probes when the pod was deleted (worker.go).
    t.match(await kubeletHttpProbe({ port: s.port, path: '/live' }), { result: 'failure', output: /ECONNREFUSED/ });
  });
}

// The shutdown sequence end to end, in child processes, on Fastify and on Express (server-layer probes).
import t from 'tap';
import { type App, get, startApp } from './proc.js';

const FIXTURE = 'test/shutdown/fixture-app.ts';
const shutdownLine = (l: { msg?: string }) => l.msg?.startsWith('probekit: shutdown started') === true;

for (const framework of ['fastify', 'express']) {
  t.test(`${framework}: in-flight 2 s requests complete with 200, then exit 0`, async (t) => {
    const app = await startApp(FIXTURE, { FRAMEWORK: framework, SHUTDOWN_DELAY: '300', SHUTDOWN_TIMEOUT: '10000' });
    t.teardown(() => app.kill());
    const inflight = [get(app.port, '/slow?ms=2000'), get(app.port, '/slow?ms=2000'), get(app.port, '/slow?ms=1500')];
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    app.child.kill('SIGTERM');
    const results = await Promise.all(inflight);
    t.same(
      results.map((r) => r.status),
      [200, 200, 200],
      'every in-flight request got its 200',
    );
    t.equal(await app.exited(10_000), 0, 'exit code 0');
    t.ok(Date.now() - t0 < 10_000, 'exited within the configured timeout');
    t.ok(
      app.lines.some((l) => l.msg === 'hook first ran'),
      'hooks ran',
    );
    const order = app.lines.filter((l) => l.msg === 'hook first ran' || l.msg === 'hook last ran').map((l) => l.msg);
    t.same(order, ['hook last ran', 'hook first ran'], 'hooks run in reverse order of registration');
  });

  t.test(`${framework}: during the delay only /ready changes its answer`, async (t) => {
    const app = await startApp(FIXTURE, { FRAMEWORK: framework, SHUTDOWN_DELAY: '3000', SHUTDOWN_TIMEOUT: '10000' });
    t.teardown(() => app.kill());
    // Bounded wait for the first check result (startup complete), so /ready is 200 before the signal.
    for (let i = 0; i < 50 && (await get(app.port, '/ready')).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));
    const paths = ['/ready', '/live', '/startup', '/', '/nope'];
    const before = await Promise.all(paths.map((p) => get(app.port, p)));
    t.equal(before[0]?.status, 200, 'ready before the signal');
    app.child.kill('SIGTERM');
    await app.waitFor(shutdownLine, 5000);
    const during = await Promise.all(paths.map((p) => get(app.port, p)));
    t.equal(during[0]?.status, 503, '/ready fails at once');
    t.match(JSON.parse(during[0]?.body ?? '{}'), { status: 'fail', reason: 'shutting down' });
    for (let i = 1; i < paths.length; i++) {
      t.equal(during[i]?.status, before[i]?.status, `${paths[i]} answers as before`);
    }
    t.same(JSON.parse(during[1]?.body ?? '{}').status, 'pass', '/live keeps passing');
    t.equal(await app.exited(10_000), 0);
  });

  t.test(`${framework}: a hanging cleanup hook: exit 1 by the deadline, the hook named in the log`, async (t) => {
    const app = await startApp(FIXTURE, {
      FRAMEWORK: framework,
      HANG_HOOK: '1',
      SHUTDOWN_TIMEOUT: '3000',
      HOOK_TIMEOUT: '60000',
    });
    t.teardown(() => app.kill());
    const t0 = Date.now();
    app.child.kill('SIGTERM');
    t.equal(await app.exited(8000), 1, 'exit code 1');
    const took = Date.now() - t0;
    t.ok(took >= 2500 && took < 6000, `exited at the deadline (${took} ms)`);
    t.ok(
      app.lines.some((l) => l.level === 50 && JSON.stringify(l).includes('hanging-hook')),
      'an error line names the hook',
    );
    t.ok(
      app.lines.some((l) => l.msg === 'hook last ran'),
      'hooks registered after it ran before it',
    );
  });

  t.test(`${framework}: a request outliving the deadline: its socket is destroyed, logged, exit 1`, async (t) => {
    const app = await startApp(FIXTURE, { FRAMEWORK: framework, SHUTDOWN_TIMEOUT: '1500' });
    t.teardown(() => app.kill());
    const slow = get(app.port, '/slow?ms=20000');
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    app.child.kill('SIGTERM');
    t.equal(await app.exited(8000), 1, 'exit code 1');
    t.ok(Date.now() - t0 < 5000, 'at the deadline, not after the request');
    t.equal((await slow).status, 0, 'the outstanding request was cut');
    const line = app.lines.find((l) => typeof l.msg === 'string' && l.msg.includes('did not finish within 1500 ms'));
    t.ok(line, 'the deadline is logged');
    t.match(JSON.stringify(line?.open), /GET \/slow\?ms=20000/, 'with what was still open');
  });

  t.test(`${framework}: a throwing hook is logged, the others still run, exit 1`, async (t) => {
    const app = await startApp(FIXTURE, { FRAMEWORK: framework, THROW_HOOK: '1' });
    t.teardown(() => app.kill());
    app.child.kill('SIGTERM');
    t.equal(await app.exited(8000), 1);
    t.ok(app.lines.some((l) => l.msg === 'hook first ran') && app.lines.some((l) => l.msg === 'hook last ran'));
    t.ok(app.lines.some((l) => JSON.stringify(l).includes('throwing-hook') && JSON.stringify(l).includes('hook blew up')));
  });

  t.test(`${framework}: SIGTERM then SIGTERM exits at once`, async (t) => {
    const app = await startApp(FIXTURE, { FRAMEWORK: framework, SHUTDOWN_DELAY: '8000', SHUTDOWN_TIMEOUT: '20000' });
    t.teardown(() => app.kill());
    app.child.kill('SIGTERM');
    await app.waitFor(shutdownLine, 5000);
    const t0 = Date.now();
    app.child.kill('SIGTERM');
    t.equal(await app.exited(3000), 1, 'exit code 1');
    t.ok(Date.now() - t0 < 2000, 'at once, not after the 8 s delay');
  });
}

export type { App };

// Issue 8, items 5, 6 and 12: signals are handled once per process (two registries both finish before the one
// exit), sockets opened before attach() are drained too, and an app closing itself runs the cleanup hooks once.
import { type ChildProcess, spawn } from 'node:child_process';
import Fastify from 'fastify';
import t from 'tap';
import probekit from '../../src/fastify/index.js';
import { createHealth } from '../../src/health.js';
import { request } from '../helpers/http-client.js';
import { recordingLogger } from '../helpers/logger.js';
import { ROOT } from '../shutdown/proc.js';

interface Child {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  next(event: string, ms?: number): Promise<Record<string, unknown>>;
  exit: Promise<number | null>;
}

function start(script: string, env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Record<string, unknown>[] = [];
  let buf = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => {
    buf += c;
    for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
      lines.push(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
      buf = buf.slice(nl + 1);
    }
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const next = async (event: string, ms = 10_000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = lines.find((l) => l.event === event);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no '${event}' line within ${ms} ms: ${JSON.stringify(lines)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { child, lines, next, exit };
}

for (const failAdmin of [false, true]) {
  t.test(`item 5: two Fastify apps in one process, one SIGTERM${failAdmin ? ', the admin hook fails' : ''}`, async (t) => {
    const c = start('test/issues/fixtures/two-apps.ts', failAdmin ? { FAIL_ADMIN: '1' } : {});
    t.teardown(() => c.child.kill('SIGKILL'));
    const ready = await c.next('ready');
    const ports = [ready.publicPort, ready.adminPort] as number[];
    for (const port of ports) t.equal((await request(`http://127.0.0.1:${port}`, '/ready')).statusCode, 200);
    c.child.kill('SIGTERM');
    // Within the 2 s delay, both registries fail readiness: one signal reached both. Polled, since the signal can
    // reach the process after the first requests do.
    let during: number[] = [];
    const deadline = Date.now() + 1500;
    while (Date.now() < deadline) {
      during = (await Promise.all(ports.map((port) => request(`http://127.0.0.1:${port}`, '/ready')))).map((r) => r.statusCode);
      if (during.every((s) => s === 503)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    t.same(during, [503, 503], 'both /ready fail, within the delay');
    const code = await c.exit;
    t.equal(code, failAdmin ? 1 : 0, 'one exit, with the worst code');
    const events = c.lines.map((l) => `${String(l.event)}${l.app ? `:${String(l.app)}` : ''}`);
    t.ok(events.includes('onClose:public') && events.includes('onClose:admin'), `both onClose ran: ${events.join(', ')}`);
    t.equal(events.includes('hook:admin'), !failAdmin, "the admin's cleanup hook ran (or failed)");
    t.ok(events.includes('hook:public'));
    t.equal(events.at(-1), 'exit', 'exit comes last, after both apps closed');
    t.equal(events.filter((e) => e === 'exit').length, 1);
  });
}

t.test('item 6: a request on a socket opened before attach() completes through the shutdown', async (t) => {
  const c = start('test/issues/fixtures/attach-late.ts');
  t.teardown(() => c.child.kill('SIGKILL'));
  const { port } = (await c.next('ready')) as { port: number };
  const slow = request(`http://127.0.0.1:${port}`, '/slow', { timeout: 10_000 });
  await c.next('attached');
  c.child.kill('SIGTERM');
  const res = await slow;
  t.equal(res.statusCode, 200, 'the in-flight request got its answer');
  t.equal(res.body, 'slow done');
  t.equal(await c.exit, 0, 'then the process exited cleanly');
});

t.test('item 12: app.close() runs the cleanup hooks once, as a signal would', async (t) => {
  const listeners = process.listenerCount('SIGTERM');
  const app = Fastify({ logger: false });
  await app.register(probekit, { shutdown: { exit: false }, logger: recordingLogger() });
  let runs = 0;
  app.health.onShutdown(() => {
    runs++;
  }, 'pool');
  await app.ready();
  await app.close();
  t.equal(runs, 1, 'the hook ran on app.close()');
  t.notOk(app.health.isRunning, 'the checks stopped');
  t.equal(process.listenerCount('SIGTERM'), listeners, 'no signal listener left behind');
});

t.test('item 12: a shutdown that closes the app runs the hooks once, not again from onClose', async (t) => {
  const app = Fastify({ logger: false });
  await app.register(probekit, { shutdown: { exit: false }, logger: recordingLogger() });
  let runs = 0;
  let closed = 0;
  app.health.onShutdown(() => {
    runs++;
  }, 'pool');
  app.addHook('onClose', async () => {
    closed++;
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const result = await app.health.shutdown('test');
  t.equal(result.code, 0);
  t.equal(runs, 1, 'the hook ran once');
  t.equal(closed, 1, "the app's own onClose ran once");
  await app.close();
  t.equal(runs, 1, 'a later app.close() does not run it again');
});

t.test('item 12: health.close() on a bare registry runs the hooks once and stops the checks', async (t) => {
  const health = createHealth({ shutdown: false, logger: recordingLogger() });
  let runs = 0;
  health.onShutdown(() => {
    runs++;
  });
  health.start();
  await health.close();
  await health.close();
  t.equal(runs, 1);
  t.notOk(health.isRunning);
});

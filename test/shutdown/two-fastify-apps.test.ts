// Two Fastify apps in one process, each with its own registry: one SIGTERM fails readiness on both at once, both
// finish their cleanup hooks and onClose, and the process exits once, after both, with the worst code.
import t from 'tap';
import { startChild } from '../helpers/child.js';
import { request } from '../helpers/http-client.js';

for (const failAdmin of [false, true]) {
  t.test(`two Fastify apps in one process, one SIGTERM${failAdmin ? ', the admin hook fails' : ''}`, async (t) => {
    const c = startChild('test/shutdown/fixtures/two-fastify-apps.ts', failAdmin ? { FAIL_ADMIN: '1' } : {});
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

// SIGTERM exits even when nobody reads stdout: the reader of the app's stdout pipe (a log shipper) is gone, so every
// write there fails with EPIPE. With pino's default destination the exit used to hang forever (its exit handler
// retries the failed write every 100 ms); the shutdown must end in an exit by `shutdown.timeout` + 1 s, with its code.
// Express: probekit's default logger; Fastify: the app's own pino logger (`logger: { level: 'info' }`).
import { once } from 'node:events';
import t from 'tap';
import { startApp } from './proc.js';

const FIXTURE = 'test/shutdown/fixture-app.ts';
const TIMEOUT = 3000;

const cases: { name: string; env: Record<string, string>; code: number }[] = [
  { name: 'clean sequence', env: {}, code: 0 },
  { name: 'a hook that throws', env: { THROW_HOOK: '1' }, code: 1 },
  { name: 'a hook that hangs past the deadline', env: { HANG_HOOK: '1', HOOK_TIMEOUT: '10000' }, code: 1 },
];

for (const framework of ['express', 'fastify']) {
  for (const c of cases) {
    t.test(`${framework}, ${c.name}: stdout's reader gone, SIGTERM exits with code ${c.code}`, async (t) => {
      const app = await startApp(FIXTURE, {
        FRAMEWORK: framework,
        SHUTDOWN_DELAY: '0',
        SHUTDOWN_TIMEOUT: String(TIMEOUT),
        ...c.env,
      });
      t.teardown(() => app.kill());
      // Close the only reading end of the child's stdout: from now on its writes there fail with EPIPE.
      const stdout = app.child.stdout;
      if (stdout === null) throw new Error('no stdout pipe');
      stdout.destroy();
      if (!stdout.closed) await once(stdout, 'close');
      const t0 = Date.now();
      app.child.kill('SIGTERM');
      // The bound of the issue, timeout + 1 s, plus 1 s for a busy machine to deliver the signal and reap the child.
      const code = await app.exited(TIMEOUT + 2000).catch((err: Error) => err.message);
      t.equal(code, c.code, `exit code ${c.code}`);
      t.ok(Date.now() - t0 < TIMEOUT + 2000, `exited ${Date.now() - t0} ms after SIGTERM`);
    });
  }
}

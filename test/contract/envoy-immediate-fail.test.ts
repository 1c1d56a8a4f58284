// `envoy: true`: from the shutdown signal on, every answer of the attached servers (the app's routes and the probes)
// carries `x-envoy-immediate-health-check-fail: true`, so Envoy ejects the host at once instead of at its next health
// check; before the signal no answer does, and without the option none ever does. On every adapter.
import t from 'tap';
import { createHealth } from '../../src/health.js';
import { ADAPTERS } from '../helpers/adapters.js';
import { request } from '../helpers/http-client.js';
import { recordingLogger } from '../helpers/logger.js';

const HEADER = 'x-envoy-immediate-health-check-fail';

for (const [name, serve] of Object.entries(ADAPTERS)) {
  for (const envoy of [true, false]) {
    t.test(`${name}, envoy ${envoy}: the header from the signal on`, async (t) => {
      const health = createHealth({ logger: recordingLogger(), shutdown: { exit: false, delay: 1500, timeout: 5000 } });
      const base = await serve(t, health, envoy ? { envoy: true } : {});
      const paths = ['/ready', '/live', '/some/app/route'];
      for (const path of paths) {
        const before = await request(base, path);
        t.equal(before.headers[HEADER], undefined, `before the signal, ${path}: no header`);
      }
      const sequence = health.shutdown();
      for (const path of paths) {
        const during = await request(base, path);
        t.equal(during.headers[HEADER], envoy ? 'true' : undefined, `during the delay, ${path}`);
        t.equal(during.headers.connection, 'close', `during the delay, ${path}: Connection: close`);
      }
      t.equal((await sequence).code, 0);
    });
  }
}

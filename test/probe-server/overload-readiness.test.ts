// `overload` under the saturating load: /ready answers 503 `overloaded` on both servers while the app's loop lags,
// 200 again after the load; /live stays 200 throughout.
import t from 'tap';
import { exclusive } from '../helpers/exclusive.js';
import { request } from '../helpers/http-client.js';
import { waitFor } from '../helpers/wait.js';
import { during, reasonOf, startBusyApp, startLoad, startProber } from './harness.js';

// Real load on the machine: one such file at a time (see test/helpers/exclusive.ts).
await exclusive('load');

t.test('overload fails readiness under load and restores it after, liveness untouched', async (t) => {
  const app = await startBusyApp({ OVERLOAD_MS: '200' });
  t.teardown(app.kill);
  const base = `http://127.0.0.1:${app.appPort}`;
  const before = await request(base, '/ready');
  t.equal(before.statusCode, 200, 'ready before the load');

  const live = startProber(app.probePort, '/live', 500);
  const ready = startProber(app.probePort, '/ready', 500);
  // Stopped on teardown too, so that a failed assertion ends the file instead of leaving its timers running.
  t.teardown(() => Promise.all([live.stop(), ready.stop()]));
  // 100 clients on the 20 ms route: the loop lags far past 200 ms, and a request to the app server waits about 2 s.
  const load = startLoad(app.appPort, '/work', 100);
  t.teardown(load.stop);
  await during(5000);
  // The app server answers too, only late: read it with a generous timeout, on one of the load's own keep-alive
  // connections (a new connection may wait on the saturated loop's accept for as long as the SYN retries last).
  const mainReady = await request(base, '/ready', { timeout: 60_000, agent: load.agent });
  load.stop();
  const underLoad = ready.records.length;
  // Back once the requests already queued are served and a quiet second is sampled (bounded).
  await waitFor(() => ready.records.slice(underLoad).some((r) => r.outcome.statusCode === 200), 'ready back', 20_000, 100);
  const [liveRuns, readyRuns] = await Promise.all([live.stop(), ready.stop()]);

  t.ok(
    liveRuns.every((r) => r.outcome.result === 'success'),
    `/live passed all ${liveRuns.length} probes, under load and after`,
  );
  const overloaded = readyRuns.slice(0, underLoad).filter((r) => r.outcome.statusCode === 503);
  t.ok(overloaded.length >= 3, `/ready answered 503 under load (${overloaded.length} of ${underLoad} probes)`);
  t.ok(
    overloaded.every((r) => reasonOf(r.outcome) === 'overloaded'),
    'with reason overloaded',
  );
  t.equal(mainReady.statusCode, 503, 'the app server’s /ready answered 503 under load too');
  t.equal(JSON.parse(mainReady.body).reason, 'overloaded', 'with the same reason');
  t.equal(readyRuns.at(-1)?.outcome.statusCode, 200, 'the probe server’s /ready is back to 200 after the load');
  const after = await request(base, '/ready');
  t.equal(after.statusCode, 200, 'the app server’s /ready is back to 200 after the load');
  t.equal((await request(base, '/live')).statusCode, 200, 'the app server’s /live is 200');
});

// The app's loop saturated by 200 clients on a 20 ms CPU-bound route: a kubelet-shaped prober on the app's own
// `/live` times out, the same prober on the probe server's `/live` never fails.
import t from 'tap';
import { exclusive } from '../helpers/exclusive.js';
import { waitFor } from '../helpers/wait.js';
import { during, startBusyApp, startLoad, startProber } from './harness.js';

// Real load on the machine: one such file at a time (see test/helpers/exclusive.ts).
await exclusive('load');

t.test('with probeServer, /live answers every probe while the app server is saturated', async (t) => {
  const app = await startBusyApp();
  t.teardown(app.kill);
  const load = startLoad(app.appPort, '/work', 200);
  t.teardown(load.stop);
  await waitFor(() => load.done() >= 50, 'the load to get going', 20_000, 50);
  // Four times a second for 8 s: 32 probes of the probe server (each with the kubelet's 1 s timeout and a connection
  // of its own), and one a second on the app's own /live.
  const worker = startProber(app.probePort, '/live', 250);
  const main = startProber(app.appPort, '/live', 1000);
  // Stopped on teardown too, so that a failed assertion ends the file instead of leaving its timers running.
  t.teardown(() => Promise.all([worker.stop(), main.stop()]));
  await during(8_000);
  const [workerRuns, mainRuns] = await Promise.all([worker.stop(), main.stop()]);
  const served = load.done();
  load.stop();

  t.ok(workerRuns.length >= 30, `at least 30 probes of the probe server (${workerRuns.length})`);
  const failed = workerRuns.filter((r) => r.outcome.result === 'failure');
  t.same(
    failed.map((r) => r.outcome.output),
    [],
    'no probe of the probe server failed',
  );
  t.ok(
    workerRuns.every((r) => r.outcome.statusCode === 200 && r.outcome.body === '{"status":"pass","checks":{}}'),
    'each answered 200 with the registry’s body',
  );
  // The precondition, shown: the app's own server was saturated (its probes missed the 1 s deadline).
  const mainFailed = mainRuns.filter((r) => r.outcome.result === 'failure').length;
  t.ok(mainFailed >= 1, `the app server's /live failed ${mainFailed} of ${mainRuns.length} probes meanwhile`);
  t.ok(served > 100, `the app kept serving its route (${served} requests)`);
});

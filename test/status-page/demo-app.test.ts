// The status page of the demo app (examples/fastify.ts, `statusPage: true`), in headless Chromium from Debian's
// packages: with the demo's upstream down, the DOM has a row per check with its status, the page asks for nothing
// outside its own origin, and the browser reports no Content Security Policy violation.
import t from 'tap';
import { startApp } from '../shutdown/proc.js';
import { chromiumBinary, cspViolations, pageRequests, runChromium } from './chromium.js';

const bin = await chromiumBinary();
if ('skip' in bin) t.plan(0, bin.skip);
else {
  t.test('the demo app status page in Chromium, one check failing', async (t) => {
    const app = await startApp('examples/fastify.ts', { LOG_LEVEL: 'warn' });
    t.teardown(() => app.kill());
    const origin = `http://127.0.0.1:${app.port}`;
    await fetch(`${origin}/demo/upstream/down`, { method: 'POST' });
    // The upstream check fails after three runs a second apart.
    const deadline = Date.now() + 15_000;
    const upstream = async () =>
      ((await (await fetch(`${origin}/ready`)).json()) as { checks: Record<string, { status: string }> }).checks.upstream?.status;
    while ((await upstream()) !== 'fail') {
      if (Date.now() > deadline) throw new Error('the demo did not turn unready');
      await new Promise((r) => setTimeout(r, 200));
    }
    // `--timeout` ends the load (the page's watch stream stays open otherwise) and dumps the DOM as it is then.
    const run = await runChromium(bin.path, `${origin}/health`, ['--timeout=3000', '--dump-dom']);
    t.match(run.stdout, /data-check="upstream" data-status="fail"/, 'the failing upstream check is a failing row');
    t.match(run.stdout, /data-check="event-loop" data-status="pass"/, 'the event loop check is a passing row');
    t.ok(run.stdout.indexOf('data-check="upstream"') < run.stdout.indexOf('data-check="event-loop"'), 'failing first');
    t.match(run.stdout, /class="r r-failure n\d+"/, 'the strip shows failed runs');
    const foreign = pageRequests(run, origin).filter((r) => !r.url.startsWith(`${origin}/`));
    t.same(foreign, [], 'the page asked for nothing outside its own origin');
    const own = pageRequests(run, origin).map((r) => new URL(r.url).pathname + new URL(r.url).search);
    t.ok(own.includes('/health/status.css') && own.includes('/health/status.js'), `its assets came from it: ${own.join(', ')}`);
    t.same(cspViolations(run), [], 'no Content Security Policy violation under its own default-src self');
  });
}

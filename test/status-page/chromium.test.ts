// The status page in a real browser: Debian's headless Chromium loads the page of the demo registry (one check
// failing) from a small node:http server that answers every request under `Content-Security-Policy: default-src
// 'self'`, and the test reads the DOM it dumps. It fails if the page asks for anything but its own paths (the
// server's log, and the browser's own NetLog for what never reached the server), or if the browser reports or logs a
// CSP violation. Four runs: with JavaScript (the live script applied the stream), without (the server-rendered page,
// then its meta refresh), and the screenshot of docs/status-page.png (written there with PROBEKIT_UPDATE_SCREENSHOT=1).
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { type ChromiumRun, chromiumBinary, cspViolations, pageRequests, runChromium } from './chromium.js';
import { DEMO_CHECKS, DEMO_ERROR, demoHealth, untilHistory } from './demo.js';
import { PAGE_PATH, type ServeOptions, type StatusServer, serveStatusPage } from './server.js';

type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

const SCREENSHOT = fileURLToPath(new URL('../../docs/status-page.png', import.meta.url));
/** Every request the page may make: itself, its two assets, its stream, and the browser's own favicon guess. */
const ALLOWED = new Set([
  `GET ${PAGE_PATH}`,
  `GET ${PAGE_PATH}/status.css`,
  `GET ${PAGE_PATH}/status.js`,
  `GET ${PAGE_PATH}?watch`,
  'GET /favicon.ico',
]);

function rows(dom: string): [string, string][] {
  return [...dom.matchAll(/<tr class="check check-\w+" data-check="([^"]+)" data-status="(\w+)">/g)].map((m) => [m[1]!, m[2]!]);
}

/** The slots of a row's strip: the sizes of its stretches added up. */
function slotCount(row: string): number {
  return [...row.matchAll(/<i class="r r-\w+ n(\d+)"><\/i>/g)].reduce((n, m) => n + Number(m[1]), 0);
}

function probes(dom: string): Record<string, string> {
  return Object.fromEntries([...dom.matchAll(/data-probe="(\w+)" data-status="(\w+)"/g)].map((m) => [m[1], m[2]]));
}

function rowOf(dom: string, name: string): string {
  const start = dom.indexOf(`data-check="${name}"`);
  return start === -1 ? '' : dom.slice(start, dom.indexOf('</tr>', start));
}

/** Nothing but the page's own paths, asked of the server or of the network; no CSP violation logged or reported. */
function onlyOwnOrigin(t: Tap, srv: StatusServer, run: ChromiumRun): void {
  const foreign = srv.requests.filter((r) => !ALLOWED.has(r));
  t.same(foreign, [], `the server was asked only for the page's paths (${srv.requests.join(', ')})`);
  const asked = pageRequests(run, srv.origin);
  t.ok(
    asked.some((r) => r.url === `${srv.origin}${PAGE_PATH}`),
    'the NetLog shows the page itself (so it does see what the page asks for)',
  );
  const elsewhere = asked.filter((r) => new URL(r.url).origin !== srv.origin).map((r) => r.url);
  t.same(elsewhere, [], 'the page asked for no URL of another origin');
  t.same(srv.cspReports, [], 'no CSP violation report');
  t.same(cspViolations(run), [], 'no CSP violation in the browser log');
}

const bin = await chromiumBinary();
if ('skip' in bin) {
  t.skip(bin.skip, async () => {});
} else {
  const health = demoHealth();
  t.teardown(() => health.stop());
  await untilHistory(health, 30);

  const serve = async (t: Tap, options: ServeOptions): Promise<StatusServer> => {
    const srv = await serveStatusPage(health, options);
    t.teardown(() => srv.close());
    return srv;
  };

  t.test('with JavaScript: the rows, the probes, and the live stream applied', { timeout: 60_000 }, async (t) => {
    // The stream ends after 3 messages: headless Chromium's virtual time stands still while a response loads.
    const srv = await serve(t, { details: false, endAfter: 3 });
    const run = await runChromium(bin.path, `${srv.origin}${PAGE_PATH}`, ['--dump-dom', '--virtual-time-budget=3000']);
    const dom = run.stdout;
    t.equal(run.code, 0, 'chromium exited 0');
    t.match(dom, /<html lang="en" data-now="[^"]+" data-refresh="5" data-live="1">/, 'the script applied a message');
    t.equal(srv.messages(), 3, 'the page followed the watch stream');
    t.match(dom, '<span id="conn" class="conn conn-down">reconnecting…</span>', 'the ended stream shows as reconnecting');

    const seen = rows(dom);
    t.same(seen.map(([n]) => n).sort(), [...DEMO_CHECKS].sort(), 'one row per check');
    t.same(seen[0], ['redis', 'fail'], 'the failing check first');
    for (const [name, status] of seen.slice(1)) t.equal(status, 'pass', `${name} passes`);
    t.same(probes(dom), { live: 'pass', ready: 'fail', startup: 'pass' });
    t.match(dom, /<title>fail · health<\/title>/);

    const redis = rowOf(dom, 'redis');
    t.match(redis, '<span class="pill pill-fail">fail</span>');
    t.match(redis, '<span class="output output-withheld">reason withheld</span>');
    t.match(redis, /<i class="r r-success n\d+"><\/i>/);
    t.match(redis, /<i class="r r-failure n\d+"><\/i><\/span><\/td>$/, 'the newest slots, right-most, are failures');
    t.equal(slotCount(redis), 60, '60 slots');
    t.match(redis, /<span class="strip" role="img" title="\d+ runs: \d+ passed, \d+ failed">/, 'one title per strip');
    t.match(
      redis,
      /<time datetime="[^"]+" title="\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ">(just now|\d+ s ago)<\/time>/,
      'the script shows how long ago, with the absolute time as title',
    );
    t.notMatch(dom, /ECONNREFUSED|6379/, `no error text without details (${DEMO_ERROR})`);
    t.match(rowOf(dom, 'postgres'), '<span class="value">2 replicas</span>');
    onlyOwnOrigin(t, srv, run);
  });

  t.test('without JavaScript: the same rows, server-rendered', { timeout: 60_000 }, async (t) => {
    const srv = await serve(t, { details: false });
    const run = await runChromium(bin.path, `${srv.origin}${PAGE_PATH}`, ['--dump-dom', '--virtual-time-budget=3000'], {
      javascript: false,
    });
    const dom = run.stdout;
    t.equal(run.code, 0, 'chromium exited 0');
    t.notMatch(dom, 'data-live', 'no script ran');
    t.match(dom, '<noscript><meta http-equiv="refresh" content="5"></noscript>');
    t.match(dom, '<span id="conn" class="conn conn-static">refreshes every 5 s</span>');
    const seen = rows(dom);
    t.same(seen.map(([n]) => n).sort(), [...DEMO_CHECKS].sort(), 'one row per check');
    t.same(seen[0], ['redis', 'fail'], 'the failing check first');
    t.same(probes(dom), { live: 'pass', ready: 'fail', startup: 'pass' });
    const redis = rowOf(dom, 'redis');
    t.match(redis, '<span class="output output-withheld">reason withheld</span>');
    t.match(redis, /<td><time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ<\/time><\/td>/, 'the last run, absolute (UTC)');
    t.match(redis, /<i class="r r-failure n\d+"><\/i><\/span><\/td>$/, 'the strip, newest failures right-most');
    t.equal(slotCount(redis), 60, '60 slots');
    t.notOk(srv.requests.includes(`GET ${PAGE_PATH}?watch`), 'no stream without the script');
    onlyOwnOrigin(t, srv, run);
  });

  t.test('without JavaScript, the page reloads itself', { timeout: 60_000 }, async (t) => {
    // Real time, not virtual: each reload would start a new budget. Stopped after the page loaded three times.
    const srv = await serve(t, { details: false, refreshSeconds: 1 });
    const loads = (): number => srv.requests.filter((r) => r === `GET ${PAGE_PATH}`).length;
    const started = Date.now();
    const run = await runChromium(bin.path, `${srv.origin}${PAGE_PATH}`, [], { javascript: false, until: () => loads() >= 3 });
    t.ok(loads() >= 3, `loaded ${loads()} times in ${Date.now() - started} ms`);
    t.notOk(srv.requests.includes(`GET ${PAGE_PATH}?watch`), 'no stream without the script');
    onlyOwnOrigin(t, srv, run);
  });

  t.test('the screenshot, one check failing, with details', { timeout: 60_000 }, async (t) => {
    // A registry of its own, so that the strip shows the change: 40 runs green, then red.
    const shot = demoHealth(41);
    t.teardown(() => shot.stop());
    await untilHistory(shot, 60);
    const srv = await serveStatusPage(shot, { details: true });
    t.teardown(() => srv.close());
    const dir = await mkdtemp(join(tmpdir(), 'probekit-shot-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'status-page.png');
    const run = await runChromium(bin.path, `${srv.origin}${PAGE_PATH}`, [`--screenshot=${file}`, '--window-size=1200,700']);
    t.equal(run.code, 0, 'chromium exited 0');
    const png = await readFile(file);
    t.equal(png.subarray(1, 4).toString('latin1'), 'PNG', 'a PNG');
    t.same([png.readUInt32BE(16), png.readUInt32BE(20)], [1200, 700], '1200 x 700');
    t.ok(srv.requests.includes(`GET ${PAGE_PATH}?watch`), 'the script followed the stream');
    onlyOwnOrigin(t, srv, run);
    if (process.env.PROBEKIT_UPDATE_SCREENSHOT === '1') {
      await copyFile(file, SCREENSHOT);
      t.comment(`wrote ${SCREENSHOT}`);
    }
  });
}

// `probekit watch`: one line per change when the output is not a terminal, and the live table in a real terminal
// (tmux: keys typed, the screen read back, the window resized).
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { waitFor } from '../helpers/wait.js';
import { ensureBuilt, finished, MAIN, runCli, spawnCli } from './cli.js';
import { type Answer, probeServer } from './servers.js';
import { haveTmux, Terminal } from './tmux.js';

ensureBuilt();

const PASS: Answer = { statusCode: 200, status: 'pass', checks: { db: { status: 'pass' }, cache: { status: 'pass' } } };
const DB_DOWN: Answer = {
  statusCode: 503,
  status: 'fail',
  checks: { db: { status: 'fail', output: 'timed out after 1000 ms' }, cache: { status: 'pass' } },
};

/** Starts `watch` with its output on a pipe; `text()` is all it printed so far. */
async function watchLines(args: string[]) {
  const child = spawnCli(['watch', ...args]);
  const done = finished(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  await once(child, 'spawn');
  return { child, done, text: () => out };
}

t.test('not a terminal: one line per change, from polling', async (t) => {
  const server = await probeServer();
  server.set(PASS);
  t.teardown(() => server.close());
  const url = `${server.origin}/ready`;
  const w = await watchLines([url, '--interval', '200ms']);
  t.teardown(() => w.child.kill('SIGKILL'));
  await waitFor(() => w.text().includes(`${url} cache: pass`), 'the first answer', 10_000);
  t.match(w.text(), new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z ${url} pass\\n`), 'the endpoint, then its checks');
  t.match(w.text(), `${url} db: pass\n`);
  const lines = w.text().split('\n').length;
  server.set(DB_DOWN);
  await waitFor(() => w.text().includes(`${url} db: pass -> fail: timed out after 1000 ms\n`), 'the change', 10_000);
  t.match(w.text(), `${url} pass -> fail\n`);
  t.notMatch(w.text(), 'cache: pass -> ', 'an unchanged check prints nothing');
  const seen = server.seen.map((s) => s.url);
  t.equal(seen[0], '/ready?watch', 'the watch stream is asked for first');
  t.ok(
    seen.slice(1).every((u) => u === '/ready'),
    'a server without the stream is then polled on the plain URL',
  );
  t.ok(w.text().split('\n').length > lines, 'new lines for the change only');
  w.child.kill('SIGTERM');
  const run = await w.done;
  t.equal(run.code, 0, 'SIGTERM quits with 0');
});

t.test('the watch stream is used when the server offers it', async (t) => {
  const server = await probeServer({ stream: true });
  server.set(PASS);
  t.teardown(() => server.close());
  const url = `${server.origin}/ready`;
  // A 60 s poll interval: only the stream can bring the change in time.
  const w = await watchLines([url, `${server.origin}/live`, '--interval', '60s']);
  t.teardown(() => w.child.kill('SIGKILL'));
  await waitFor(() => server.streams === 2 && w.text().includes(`${url} cache: pass`), 'both streams open', 10_000);
  const started = performance.now();
  server.set(DB_DOWN);
  await waitFor(() => w.text().includes(`${url} db: pass -> fail`), 'the change, through the stream', 10_000);
  t.comment(`change seen after ${(performance.now() - started).toFixed(0)} ms`);
  t.equal(server.seen.length, 2, 'no poll at all: one stream request per endpoint');
  w.child.kill('SIGINT');
  t.equal((await w.done).code, 0);
});

t.test('a server that goes away and comes back', async (t) => {
  const server = await probeServer();
  server.set(PASS);
  const url = `${server.origin}/ready`;
  const w = await watchLines([url, '--interval', '200ms', '--timeout', '500ms']);
  t.teardown(() => w.child.kill('SIGKILL'));
  await waitFor(() => w.text().includes(`${url} db: pass`), 'the first answer', 10_000);
  await server.close();
  await waitFor(() => /ready pass -> down: connect ECONNREFUSED/.test(w.text()), 'the endpoint down', 10_000);
  t.pass('a refused connection shows as down');
  w.child.kill('SIGTERM');
  await w.done;
});

t.test('watch usage errors exit 1', async (t) => {
  for (const [args, message] of [
    [[], /missing URL/],
    [['http://a/', '--interval', 'soon'], /--interval: expected a duration/],
    [['http://a/', '--tls'], /--tls needs https:\/\/ URLs/],
    [['https://a/', 'http://b/', '--tls'], /--tls needs https:\/\/ URLs/],
    [['tcp://a/'], /expected an http/],
  ] as const) {
    const run = await runCli(['watch', ...args]);
    t.equal(run.code, 1, args.join(' ') || '(no URL)');
    t.match(run.stderr, message);
  }
  const help = await runCli(['watch', '--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /--interval D/);
});

t.test(
  'in a terminal',
  { skip: haveTmux() ? false : 'tmux is not installed (bash test/services/prepare.sh installs it)' },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'probekit-cli-watch-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    let terminals = 0;
    const open = (args: string[], env: Record<string, string> = {}) => {
      const exitFile = join(dir, `exit-${++terminals}`);
      const term = new Terminal([process.execPath, MAIN, 'watch', ...args], { width: 120, height: 30, env, exitFile });
      t.teardown(() => term.kill());
      return { term, exitCode: () => readFileSync(exitFile, 'utf8').trim() };
    };
    /** The screen row of a check: `  db   pass ...` (with the change marker `*` in front when it just changed). */
    const row = (screen: string, name: string) => screen.split('\n').find((l) => new RegExp(`^[* ] {3}${name} `).test(l)) ?? '';

    await t.test('a check turning from pass to fail, within the poll interval; q quits', async (t) => {
      const server = await probeServer();
      server.set(PASS);
      t.teardown(() => server.close());
      const { term, exitCode } = open([`${server.origin}/ready`, '--timeout', '3s']);
      await waitFor(() => /pass/.test(row(term.capture(), 'db')), 'the table with db passing', 10_000);
      const screen = term.capture();
      t.match(screen, /^probekit watch · 1 endpoint · watch stream, else poll 1s · q quits +\d\d:\d\d:\d\d\n/, 'the title line');
      t.match(screen, /ENDPOINT \/ CHECK +STATUS +SINCE +DURATION +STREAK +OUTPUT/);
      t.match(screen, new RegExp(`  ${server.origin}/ready +PASS +\\d\\d:\\d\\d:\\d\\d \\(\\d+s\\) +[\\d.]+ ms HTTP 200`));
      t.match(row(screen, 'db'), /^ {4}db +pass +\d\d:\d\d:\d\d \(\d+s\) +3\.0 ms 5 ok/);
      const started = performance.now();
      server.set(DB_DOWN);
      await waitFor(() => /fail/.test(row(term.capture(), 'db')), 'db failing on screen', 10_000);
      const ms = performance.now() - started;
      t.ok(ms < 1000 + 3000, `on screen ${ms.toFixed(0)} ms after the change (poll interval 1 s, slack 3 s)`);
      t.comment(`pass -> fail on screen after ${ms.toFixed(0)} ms`);
      const after = term.capture();
      t.match(row(after, 'db'), /^\* {3}db +fail +.* 3 fail +timed out after 1000 ms/, 'highlighted with *, the output shown');
      t.match(row(after, 'cache'), /^ {4}cache +pass/, 'the unchanged check is not highlighted');
      t.match(after, /\* http:\/\/127\.0\.0\.1:\d+\/ready +FAIL .*HTTP 503/);
      term.keys('q');
      await waitFor(() => !term.alive(), 'watch to quit on q', 5000);
      t.equal(exitCode(), '0', 'q quits with 0');
    });

    await t.test('colours, and none with NO_COLOR', async (t) => {
      const server = await probeServer();
      server.set(DB_DOWN);
      t.teardown(() => server.close());
      const coloured = open([`${server.origin}/ready`]).term;
      const plain = open([`${server.origin}/ready`], { NO_COLOR: '1' }).term;
      await waitFor(
        () => /fail/.test(row(coloured.capture(), 'db')) && /fail/.test(row(plain.capture(), 'db')),
        'both tables',
        10_000,
      );
      // tmux -e shows styles as SGR sequences: red for fail, green for pass.
      const ESC = String.fromCharCode(27);
      t.ok(coloured.capture(true).includes(`${ESC}[31mfail`), 'fail in red');
      t.ok(coloured.capture(true).includes(`${ESC}[32mpass`), 'pass in green');
      t.notMatch(plain.capture(true), new RegExp(`${ESC}\\[3[0-7]m`), 'NO_COLOR: no colour at all');
      t.match(row(plain.capture(), 'db'), /^ {4}db +fail/);
    });

    await t.test('redraws on resize', async (t) => {
      const server = await probeServer();
      server.set(DB_DOWN);
      t.teardown(() => server.close());
      const { term } = open([`${server.origin}/ready`, '--interval', '30s']);
      await waitFor(() => /fail/.test(row(term.capture(), 'db')), 'the table', 10_000);
      term.resize(60, 12);
      await waitFor(
        () =>
          term
            .capture()
            .split('\n')
            .every((l) => l.length <= 60) && /…/.test(term.capture()),
        'a narrow table',
        5000,
      );
      const narrow = term.capture();
      t.match(narrow, /^probekit watch · 1 endpoint/, 'the title is still there');
      t.match(row(narrow, 'db'), /^ {4}db +fail/, 'the rows are still there, cut to the width');
      term.resize(120, 30);
      await waitFor(() => /timed out after 1000 ms/.test(term.capture()), 'the wide table again, without a new answer', 5000);
      t.pass('redrawn wide again (the 30 s interval means no answer came in between)');
      term.keys('C-c');
      await waitFor(() => !term.alive(), 'watch to quit on Ctrl-C', 5000);
    });
  },
);

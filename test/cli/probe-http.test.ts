// `probekit probe URL` as a real process against real loopback servers: exit codes in both modes, headers,
// --expect-status, the one-line output and -v.
import t from 'tap';
import { ensureBuilt, runCli, SLACK } from './cli.js';
import { closedPort, probeServer, silentServer } from './servers.js';

ensureBuilt();

const DETAILED = ['--exit-codes', 'detailed'];

t.test('exit codes, both modes, against real servers', async (t) => {
  const healthy = await probeServer();
  const unhealthy = await probeServer();
  unhealthy.set({ statusCode: 503, status: 'fail', reason: 'shutting down', checks: { db: { status: 'fail' } } });
  const silent = await silentServer();
  const refused = await closedPort();
  t.teardown(() => Promise.all([healthy.close(), unhealthy.close(), silent.close()]));

  const cases = [
    {
      name: 'healthy',
      url: `${healthy.origin}/live`,
      simple: 0,
      detailed: 0,
      out: /^healthy: .* answered 200 \(pass\) in [\d.]+ ms\n$/,
    },
    {
      name: '503',
      url: `${unhealthy.origin}/ready`,
      simple: 1,
      detailed: 4,
      err: /^unhealthy: .* answered 503 \(fail: shutting down\), expected 200-399\n$/,
    },
    {
      name: 'refused',
      url: `http://127.0.0.1:${refused}/live`,
      simple: 1,
      detailed: 2,
      err: /^connection failed: .*ECONNREFUSED/,
    },
    {
      name: 'never answers',
      url: `http://127.0.0.1:${silent.port}/live`,
      simple: 1,
      detailed: 3,
      err: /^request timed out: .*no answer within 500ms\n$/,
    },
    {
      name: 'bad arguments',
      url: 'localhost:3000/live',
      simple: 1,
      detailed: 1,
      err: /^probekit probe: expected an http:\/\/ or https:\/\/ URL/,
    },
  ];
  for (const c of cases) {
    for (const mode of ['simple', 'detailed'] as const) {
      const run = await runCli(['probe', ...SLACK, c.url, '--timeout', '500ms', ...(mode === 'detailed' ? DETAILED : [])]);
      t.equal(run.code, c[mode], `${c.name}, ${mode}: exit ${c[mode]}`, { stderr: run.stderr });
      if (c.out) {
        t.match(run.stdout, c.out, `${c.name}: the line on stdout`);
        t.equal(run.stderr, '', `${c.name}: nothing on stderr`);
      } else {
        t.match(run.stderr, c.err, `${c.name}: the line on stderr`);
        t.equal(run.stdout, '', `${c.name}: nothing on stdout`);
      }
    }
  }
  t.ok(silent.accepted >= 2, 'the silent server was reached');
});

t.test('--timeout bounds a server that never answers; --connect-timeout does not cut an open connection', async (t) => {
  const silent = await silentServer();
  t.teardown(() => silent.close());
  const run = await runCli([
    'probe',
    ...SLACK,
    `http://127.0.0.1:${silent.port}/`,
    '--timeout',
    '300ms',
    '--connect-timeout',
    '200ms',
    ...DETAILED,
  ]);
  t.equal(run.code, 3, 'connected in time, so a request timeout');
  t.match(run.stderr, 'no answer within 300ms');
  t.ok(run.ms < 5000, `exited in ${Math.round(run.ms)} ms`);
});

t.test('headers and the user agent reach the server', async (t) => {
  const server = await probeServer();
  t.teardown(() => server.close());
  let run = await runCli([
    'probe',
    ...SLACK,
    `${server.origin}/ready`,
    '-H',
    'X-Probe: one',
    '--header',
    'Authorization: Bearer abc',
    '--header',
    'X-Probe: two',
  ]);
  t.equal(run.code, 0);
  const first = server.seen.at(-1)?.headers;
  t.equal(first?.['x-probe'], 'one, two', 'a repeated header is sent as a list');
  t.equal(first?.authorization, 'Bearer abc');
  t.match(first?.['user-agent'], /^probekit\/\d+\.\d+\.\d+/, 'default user agent');
  t.match(first?.accept, /application\/json/);
  run = await runCli([
    'probe',
    ...SLACK,
    `${server.origin}/ready`,
    '--user-agent',
    'kube-probe/1.31',
    '-H',
    'Host: app.internal',
    '-H',
    'Accept: text/plain',
  ]);
  t.equal(run.code, 0);
  const second = server.seen.at(-1)?.headers;
  t.equal(second?.['user-agent'], 'kube-probe/1.31');
  t.equal(second?.host, 'app.internal', 'Host can be set, as the kubelet allows');
  t.equal(second?.accept, 'text/plain', 'a header replaces the default');
  for (const bad of ['NoColon', 'Bad Name: x', ': empty']) {
    run = await runCli(['probe', ...SLACK, `${server.origin}/ready`, '-H', bad, ...DETAILED]);
    t.equal(run.code, 1, `--header ${JSON.stringify(bad)} is a usage error`);
    t.match(run.stderr, /--header: expected 'Name: value'/);
  }
  run = await runCli(['probe', ...SLACK, `${server.origin}/ready`, '-H', 'X-A: a\u0001b', ...DETAILED]);
  t.equal(run.code, 1, 'control characters in a value are refused');
});

t.test('--expect-status: codes, ranges, classes, lists', async (t) => {
  const server = await probeServer();
  t.teardown(() => server.close());
  const probe = async (statusCode: number, expect?: string) => {
    server.set({ statusCode, status: statusCode < 400 ? 'pass' : 'fail', checks: {} });
    const run = await runCli([
      'probe',
      ...SLACK,
      `${server.origin}/`,
      ...(expect === undefined ? [] : ['--expect-status', expect]),
      ...DETAILED,
    ]);
    return run.code;
  };
  t.equal(await probe(200), 0, '200 with the default 200-399');
  t.equal(await probe(302), 0, '302 with the default (redirects are not followed)');
  t.equal(await probe(399), 0);
  t.equal(await probe(404), 4, '404 with the default');
  t.equal(await probe(302, '2xx'), 4, "302 with 2xx (Consul's rule)");
  t.equal(await probe(204, '2xx'), 0);
  t.equal(await probe(503, '503'), 0, 'a single code');
  t.equal(await probe(503, '200-299'), 4, 'a range');
  t.equal(await probe(503, '200, 5xx'), 0, 'a list with a class');
  t.equal(await probe(418, '200,204,400-417'), 4);
  t.equal(await probe(200, '200-299,302'), 0);
  for (const bad of ['', 'abc', '99', '600', '299-200', '6xx', '2xx,,', '20x']) {
    t.equal(await probe(200, bad), 1, `--expect-status ${JSON.stringify(bad)} is a usage error`);
  }
});

t.test('one short line, and -v with the check list from the JSON body', async (t) => {
  const server = await probeServer();
  t.teardown(() => server.close());
  server.set({
    statusCode: 503,
    status: 'fail',
    checks: {
      db: { status: 'pass' },
      redis: { status: 'fail', output: 'timed out after 1000 ms' },
      cache: { status: 'fail', critical: false, output: 'connect ECONNREFUSED' },
    },
  });
  let run = await runCli(['probe', ...SLACK, `${server.origin}/ready`]);
  t.equal(run.stderr.split('\n').length, 2, 'one line without -v');
  run = await runCli(['probe', ...SLACK, `${server.origin}/ready`, '-v']);
  t.equal(run.code, 1);
  const lines = run.stderr.trimEnd().split('\n');
  t.match(lines[0], /^unhealthy: /);
  t.match(lines[1], /time elapsed: connect=[\d.]+ ms total=[\d.]+ ms/);
  t.match(lines[2], /^ {2}\[\+\] db pass, 3\.0 ms, since \d{4}-/);
  t.match(lines[3], /^ {2}\[-\] redis fail, 3\.0 ms, 3 failures, since .*: timed out after 1000 ms$/);
  t.match(lines[4], /^ {2}\[!\] cache fail \(non-critical\), .*: connect ECONNREFUSED$/);

  // Server text cannot break the line or run past Docker's 4,096-byte limit.
  const checks: Record<string, { status: 'fail'; output: string }> = {};
  for (let i = 0; i < 200; i++)
    checks[`check-${i}`] = { status: 'fail', output: `line one\nline two\u001b[31m ${'x'.repeat(200)}` };
  server.set({ statusCode: 503, status: 'fail', reason: `why\r\n${'y'.repeat(10_000)}`, checks });
  run = await runCli(['probe', ...SLACK, `${server.origin}/ready`]);
  t.equal(run.stderr.split('\n').length, 2, 'still one line');
  t.ok(Buffer.byteLength(run.stderr) < 4096, `${Buffer.byteLength(run.stderr)} bytes < 4096`);
  run = await runCli(['probe', ...SLACK, `${server.origin}/ready`, '-v']);
  t.ok(Buffer.byteLength(run.stderr) <= 4000, `-v: ${Buffer.byteLength(run.stderr)} bytes <= 4000`);
  t.notMatch(run.stderr, '\u001b', 'no escape sequence from the server reaches the terminal');
  t.match(run.stderr, /…\n$/, 'the cut is marked');
});

t.test('a body that is not probekit JSON', async (t) => {
  const { createServer } = await import('node:http');
  const server = createServer((_req, res) => res.end('OK\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const port = (server.address() as { port: number }).port;
  const run = await runCli(['probe', ...SLACK, `http://127.0.0.1:${port}/healthz`, '-v']);
  t.equal(run.code, 0);
  t.match(run.stdout, /^healthy: http:\/\/127\.0\.0\.1:\d+\/healthz answered 200 in/);
  t.match(run.stdout, /\n {2}body: OK\n$/);
});

t.test('usage errors exit 1 in both modes', async (t) => {
  const cases: [string[], RegExp][] = [
    [['probe'], /missing URL/],
    [['probe', 'http://a/', 'http://b/'], /expected one URL/],
    [['probe', 'http://a/', '--bogus'], /unknown flag --bogus/],
    [['probe', 'http://a/', '--timeout', '1'], /--timeout: expected a duration like 1s/],
    [['probe', 'http://a/', '--timeout', '0s'], /--timeout: expected a duration from 1ms/],
    [['probe', 'http://a/', '--timeout'], /--timeout/],
    [['probe', 'ftp://a/'], /expected an http/],
    [['probe', 'http://a/', '--tls'], /--tls needs an https:\/\/ URL/],
    [['probe', 'http://a/', '--service', 'x'], /--service is for --grpc/],
    [['probe', 'http://a/', '--tls-no-verify'], /--tls-no-verify needs TLS \(use an https:\/\/ URL\)/],
    [['probe', 'http://a/', '--exit-codes', 'loud'], /--exit-codes: expected simple or detailed/],
    [['probe', 'http://user:pw@a/'], /credentials in the URL/],
    [['nope'], /unknown command "nope"/],
    [[], /missing command/],
  ];
  for (const [args, message] of cases) {
    const detailed = args[0] === 'probe' && !args.includes('--exit-codes');
    const run = await runCli([...args, ...(detailed ? DETAILED : [])]);
    t.equal(run.code, 1, `${args.join(' ') || '(no arguments)'}: exit 1`);
    t.match(run.stderr, message);
  }
  const help = await runCli(['probe', ...SLACK, '--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /--exit-codes detailed/);
  const version = await runCli(['--version']);
  t.match(version.stdout, /^probekit \d+\.\d+\.\d+\n$/);
});

t.test('durations are written as grpc-health-probe writes them', async (t) => {
  const silent = await silentServer();
  t.teardown(() => silent.close());
  for (const [flag, shown] of [
    ['250ms', '250ms'],
    ['0.3s', '300ms'],
    ['.25s', '250ms'],
    ['100ms200ms', '300ms'],
  ] as const) {
    const run = await runCli(['probe', ...SLACK, `http://127.0.0.1:${silent.port}/`, '--timeout', flag, ...DETAILED]);
    t.equal(run.code, 3, `--timeout ${flag}`);
    t.match(run.stderr, `no answer within ${shown}`);
  }
});

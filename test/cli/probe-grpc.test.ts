// `probekit probe --grpc` against a real grpc-js server running grpc-health-check's HealthImplementation.
import { createServer } from 'node:http';
import t from 'tap';
import { type Certs, haveOpenssl, makeCerts } from './certs.js';
import { ensureBuilt, runCli, SLACK } from './cli.js';
import { grpcHealthServer } from './grpc-server.js';
import { closedPort, silentServer } from './servers.js';

ensureBuilt();

const DETAILED = ['--exit-codes', 'detailed'];

t.test('grpc.health.v1 Check: statuses and exit codes in both modes', async (t) => {
  const server = await grpcHealthServer({ '': 'SERVING', api: 'SERVING', jobs: 'NOT_SERVING', warming: 'UNKNOWN' });
  t.teardown(() => server.close());
  const address = `127.0.0.1:${server.port}`;
  const cases = [
    { service: undefined, simple: 0, detailed: 0, out: /^healthy: gRPC 127\.0\.0\.1:\d+ SERVING in [\d.]+ ms\n$/ },
    { service: 'api', simple: 0, detailed: 0, out: /^healthy: gRPC .* service "api" SERVING/ },
    { service: 'jobs', simple: 1, detailed: 4, err: /^unhealthy: gRPC .* service "jobs" NOT_SERVING/ },
    { service: 'warming', simple: 1, detailed: 4, err: /^unhealthy: .* UNKNOWN/ },
    {
      service: 'nope',
      simple: 1,
      detailed: 3,
      err: /^request failed: gRPC .* service "nope": NOT_FOUND \(5\): Health status unknown for service nope\n$/,
    },
  ];
  for (const c of cases) {
    for (const mode of ['simple', 'detailed'] as const) {
      const args = ['probe', ...SLACK, '--grpc', address, ...(c.service === undefined ? [] : ['--service', c.service])];
      const run = await runCli([...args, ...(mode === 'detailed' ? DETAILED : [])]);
      t.equal(run.code, c[mode], `service ${JSON.stringify(c.service ?? '')}, ${mode}: exit ${c[mode]}`, { stderr: run.stderr });
      if (c.out) t.match(run.stdout, c.out);
      else t.match(run.stderr, c.err);
    }
  }
  server.health.setStatus('api', 'NOT_SERVING');
  const after = await runCli(['probe', ...SLACK, '--grpc', address, '--service', 'api', ...DETAILED]);
  t.equal(after.code, 4, 'a status change on the server is seen by the next probe');
  const verbose = await runCli(['probe', ...SLACK, '--grpc', address, '-v']);
  t.match(verbose.stdout, /\n {2}time elapsed: connect=[\d.]+ ms rpc=[\d.]+ ms\n$/);
});

t.test('gRPC connection failures are exit 2, request failures exit 3', async (t) => {
  const silent = await silentServer();
  const refused = await closedPort();
  const http1 = createServer((_req, res) => res.end('not grpc'));
  await new Promise<void>((resolve) => http1.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    await silent.close();
    await new Promise((resolve) => http1.close(resolve));
  });
  let run = await runCli(['probe', ...SLACK, '--grpc', `127.0.0.1:${refused}`, ...DETAILED]);
  t.equal(run.code, 2, 'refused');
  t.match(run.stderr, /^connection failed: gRPC .*ECONNREFUSED/);
  run = await runCli(['probe', ...SLACK, '--grpc', `127.0.0.1:${silent.port}`, '--timeout', '500ms', ...DETAILED]);
  t.equal(run.code, 2, 'TCP accepted but no HTTP/2 SETTINGS: the connection never became ready');
  t.match(run.stderr, /^connection timed out: .*no connection within 500ms/);
  run = await runCli(['probe', ...SLACK, '--grpc', `127.0.0.1:${silent.port}`, '--timeout', '500ms']);
  t.equal(run.code, 1, 'simple mode: 1');
  const port = (http1.address() as { port: number }).port;
  run = await runCli(['probe', ...SLACK, '--grpc', `127.0.0.1:${port}`, ...DETAILED]);
  t.equal(run.code, 2, 'an HTTP/1 server');
  t.match(run.stderr, /not an HTTP\/2 \(gRPC\) server/);
});

t.test('gRPC usage errors exit 1', async (t) => {
  const cases: [string[], RegExp][] = [
    [['--grpc', 'localhost'], /--grpc: expected HOST:PORT/],
    [['--grpc', 'localhost:0'], /--grpc: expected HOST:PORT/],
    [['--grpc', 'localhost:1', 'http://x/'], /either a URL or --grpc/],
    [['--grpc', 'localhost:1', '--expect-status', '200'], /--expect-status is for HTTP/],
    [['--grpc', 'localhost:1', '--tls-ca-cert', 'ca.pem'], /--tls-ca-cert needs TLS \(add --tls\)/],
    [['--grpc', 'localhost:1', '--tls', '--tls-no-verify', '--tls-ca-cert', 'x'], /cannot go with --tls-no-verify/],
    [['--grpc', 'localhost:1', '--tls', '--tls-client-cert', 'x'], /go together/],
    [
      ['--grpc', 'localhost:1', '--tls', '--tls-ca-cert', 'no-such-file.pem'],
      /--tls-ca-cert: cannot read no-such-file\.pem: ENOENT/,
    ],
    [['--grpc', 'localhost:1', '-H', 'content-type: text/plain'], /cannot be set on a gRPC call/],
  ];
  for (const [args, message] of cases) {
    const run = await runCli(['probe', ...SLACK, ...args, ...DETAILED]);
    t.equal(run.code, 1, args.join(' '));
    t.match(run.stderr, message);
  }
});

t.test(
  'gRPC over TLS',
  { skip: haveOpenssl() ? false : 'openssl is not installed (bash test/services/prepare.sh installs it)' },
  async (t) => {
    const certs: Certs = makeCerts();
    const server = await grpcHealthServer({ '': 'SERVING' }, certs);
    const plain = await grpcHealthServer({ '': 'SERVING' });
    t.teardown(async () => {
      await server.close();
      await plain.close();
      certs.remove();
    });
    const address = `127.0.0.1:${server.port}`;
    let run = await runCli(['probe', ...SLACK, '--grpc', address, '--tls', '--tls-ca-cert', certs.paths.caCert, ...DETAILED]);
    t.equal(run.code, 0, 'verified against the test CA');
    run = await runCli(['probe', ...SLACK, '--grpc', address, '--tls', ...DETAILED]);
    t.equal(run.code, 2, 'a self-signed CA is not trusted by default');
    t.match(run.stderr, /^connection failed: .*(self-signed|unable to verify|certificate)/i);
    run = await runCli(['probe', ...SLACK, '--grpc', address, '--tls', '--tls-no-verify', ...DETAILED]);
    t.equal(run.code, 0, '--tls-no-verify');
    run = await runCli([
      'probe',
      ...SLACK,
      '--grpc',
      `localhost:${server.port}`,
      '--tls',
      '--tls-ca-cert',
      certs.paths.caCert,
      '--tls-server-name',
      'probekit.test',
      ...DETAILED,
    ]);
    t.equal(run.code, 0, '--tls-server-name names the certificate');
    run = await runCli([
      'probe',
      ...SLACK,
      '--grpc',
      address,
      '--tls',
      '--tls-ca-cert',
      certs.paths.caCert,
      '--tls-server-name',
      'other.test',
      ...DETAILED,
    ]);
    t.equal(run.code, 2, 'a name the certificate does not carry');
    run = await runCli([
      'probe',
      ...SLACK,
      '--grpc',
      `127.0.0.1:${plain.port}`,
      '--tls',
      '--tls-no-verify',
      '--timeout',
      '2s',
      ...DETAILED,
    ]);
    t.equal(run.code, 2, 'TLS to a plaintext server');
    run = await runCli(['probe', ...SLACK, '--grpc', address, '--timeout', '2s', ...DETAILED]);
    t.ok(run.code === 2 || run.code === 3, `plaintext to a TLS server fails (exit ${run.code})`);
    t.not(run.code, 0);
  },
);

// `probekit probe https://...` against a real TLS server whose CA is made at test time.
import t from 'tap';
import { type Certs, haveOpenssl, makeCerts } from './certs.js';
import { ensureBuilt, runCli, SLACK } from './cli.js';
import { probeServer } from './servers.js';

ensureBuilt();

const DETAILED = ['--exit-codes', 'detailed'];

t.test(
  'https with a self-signed CA',
  { skip: haveOpenssl() ? false : 'openssl is not installed (bash test/services/prepare.sh installs it)' },
  async (t) => {
    const certs: Certs = makeCerts();
    const server = await probeServer({ tls: { certs } });
    const mutual = await probeServer({ tls: { certs, requestCert: true } });
    t.teardown(async () => {
      await server.close();
      await mutual.close();
      certs.remove();
    });
    const url = `${server.origin}/live`;
    const cases: { name: string; args: string[]; simple: number; detailed: number; err?: RegExp }[] = [
      {
        name: 'not trusted by default',
        args: [url],
        simple: 1,
        detailed: 2,
        err: /^connection failed: .*(self-signed|certificate)/i,
      },
      { name: '--tls-ca-cert', args: [url, '--tls-ca-cert', certs.paths.caCert], simple: 0, detailed: 0 },
      { name: 'another CA', args: [url, '--tls-ca-cert', certs.paths.otherCa], simple: 1, detailed: 2 },
      { name: '--tls-no-verify', args: [url, '--tls-no-verify'], simple: 0, detailed: 0 },
      { name: '--tls with an https:// URL (redundant)', args: [url, '--tls', '--tls-no-verify'], simple: 0, detailed: 0 },
      {
        name: '--tls-server-name the certificate carries',
        args: [
          `https://localhost:${server.port}/live`,
          '--tls-ca-cert',
          certs.paths.caCert,
          '--tls-server-name',
          'probekit.test',
        ],
        simple: 0,
        detailed: 0,
      },
      {
        name: 'a host the certificate does not name',
        args: [`https://localhost:${server.port}/live`, '--tls-ca-cert', certs.paths.caCert],
        simple: 1,
        detailed: 2,
        err: /localhost/,
      },
      {
        name: '--tls-server-name it does not carry',
        args: [url, '--tls-ca-cert', certs.paths.caCert, '--tls-server-name', 'other.test'],
        simple: 1,
        detailed: 2,
      },
      {
        name: 'mutual TLS with the client certificate',
        args: [
          `${mutual.origin}/live`,
          '--tls-ca-cert',
          certs.paths.caCert,
          '--tls-client-cert',
          certs.paths.clientCert,
          '--tls-client-key',
          certs.paths.clientKey,
        ],
        simple: 0,
        detailed: 0,
      },
      {
        name: 'mutual TLS without it',
        args: [`${mutual.origin}/live`, '--tls-ca-cert', certs.paths.caCert],
        simple: 1,
        detailed: 2,
      },
    ];
    for (const c of cases) {
      for (const mode of ['simple', 'detailed'] as const) {
        const run = await runCli(['probe', ...SLACK, ...c.args, ...(mode === 'detailed' ? DETAILED : [])]);
        t.equal(run.code, c[mode], `${c.name}, ${mode}: exit ${c[mode]}`, { stderr: run.stderr });
        if (c.err && mode === 'detailed') t.match(run.stderr, c.err);
      }
    }
    const ok = await runCli(['probe', ...SLACK, url, '--tls-ca-cert', certs.paths.caCert, '-v']);
    t.match(ok.stdout, /^healthy: https:\/\/127\.0\.0\.1:\d+\/live answered 200 \(pass\)/);
  },
);

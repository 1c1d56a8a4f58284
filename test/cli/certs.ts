// A throwaway certificate authority for the TLS tests, made with openssl at test time in a temporary directory
// (no key is ever committed): a CA, a server certificate for `probekit.test` and 127.0.0.1, a client certificate.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The PEM files, by content and by path (the CLI takes paths). */
export interface Certs {
  readonly dir: string;
  readonly caCert: Buffer;
  readonly serverKey: Buffer;
  readonly serverCert: Buffer;
  readonly paths: {
    readonly caCert: string;
    readonly clientCert: string;
    readonly clientKey: string;
    /** A second CA that signed nothing here: verifying with it fails. */
    readonly otherCa: string;
  };
  remove(): void;
}

/** True when the openssl binary can be run. */
export function haveOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function ca(dir: string, name: string): void {
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

function leaf(dir: string, name: string, ext: string): void {
  openssl(dir, [
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${name}`,
  ]);
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
  ]);
}

/** Makes the CA and certificates in a fresh directory under the OS temp dir. */
export function makeCerts(): Certs {
  const dir = mkdtempSync(join(tmpdir(), 'probekit-cli-tls-'));
  ca(dir, 'ca');
  ca(dir, 'other-ca');
  leaf(
    dir,
    'server',
    'subjectAltName=DNS:probekit.test,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n',
  );
  leaf(dir, 'client', 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n');
  const read = (f: string) => readFileSync(join(dir, f));
  return {
    dir,
    caCert: read('ca.crt'),
    serverKey: read('server.key'),
    serverCert: read('server.crt'),
    paths: {
      caCert: join(dir, 'ca.crt'),
      clientCert: join(dir, 'client.crt'),
      clientKey: join(dir, 'client.key'),
      otherCa: join(dir, 'other-ca.crt'),
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

// The real parts of the fleet tests: dnsmasq and Caddy from Debian's packages (installed once by
// test/services/lib/{dnsmasq,caddy}.sh), each started by the test itself on a loopback address and a free port.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../shutdown/proc.js';

/** The scripts' exit code for "it cannot be had on this machine" (not root, no apt-get, or the install failed). */
const EXIT_UNAVAILABLE = 3;

export type Tool = { path: string } | { skip: string };

const found = new Map<string, Promise<Tool>>();

/**
 * The binary of `name` (dnsmasq or caddy), installing its package first when missing; or a one-line reason to skip
 * when it cannot be had here (an error under CI=true). Memoized per process.
 */
export function tool(name: 'dnsmasq' | 'caddy'): Promise<Tool> {
  let p = found.get(name);
  if (p === undefined) {
    const script = fileURLToPath(new URL(`../services/lib/${name}.sh`, import.meta.url));
    p = new Promise<Tool>((resolve, reject) => {
      execFile('bash', [script], { timeout: 10 * 60_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
        if (!err) return resolve({ path: stdout.trim() });
        const why = stderr.trim().split('\n').at(-1) || err.message;
        if ((err as { code?: unknown }).code !== EXIT_UNAVAILABLE) return reject(new Error(`${name}.sh: ${why}`));
        if (process.env.CI === 'true') return reject(new Error(`${name} unavailable under CI: ${why}`));
        resolve({ skip: `${name} unavailable: ${why}` });
      });
    });
    found.set(name, p);
  }
  return p;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A running dnsmasq: its `host:port`, for `fleet.dnsServers`. */
export interface Dns {
  server: string;
  child: ChildProcess;
}

/**
 * Starts a dnsmasq answering `records` (name -> addresses) from a hosts file, authoritative for `fleet.test` (any
 * other name there is NXDOMAIN), forwarding nothing, on 127.0.0.1 and a free port; resolves once it answers.
 */
export async function startDnsmasq(t: Teardown, binary: string, records: Record<string, readonly string[]>): Promise<Dns> {
  const dir = mkdtempSync(join(tmpdir(), 'probekit-dnsmasq-'));
  const hosts = join(dir, 'hosts');
  // dnsmasq reads the file after it dropped its privileges (to `nobody`).
  chmodSync(dir, 0o755);
  writeFileSync(
    hosts,
    Object.entries(records)
      .flatMap(([name, addrs]) => addrs.map((a) => `${a} ${name}\n`))
      .join(''),
  );
  const port = await freePort();
  const child = spawn(
    binary,
    [
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      `--port=${port}`,
      '--listen-address=127.0.0.1',
      '--bind-interfaces',
      '--no-resolv',
      '--no-hosts',
      `--addn-hosts=${hosts}`,
      '--local=/fleet.test/',
      '--pid-file=',
      '--log-facility=-',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const log: string[] = [];
  child.stderr?.setEncoding('utf8').on('data', (d: string) => log.push(d));
  t.teardown(() => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const server = `127.0.0.1:${port}`;
  const resolver = new Resolver({ timeout: 300, tries: 1 });
  resolver.setServers([server]);
  const first = Object.keys(records)[0] as string;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await resolver.resolve4(first);
      return { server, child };
    } catch (err) {
      if (Date.now() > deadline || child.exitCode !== null) {
        throw new Error(`dnsmasq did not answer: ${String(err)}; ${log.join('')}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

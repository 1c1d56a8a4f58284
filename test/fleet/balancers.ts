// The two real load balancers of the fleet tests, each run by the test itself: HAProxy (Debian's, through
// test/services) checking /ready with a stats socket to read its view of the servers, and Caddy (Debian's) with active
// health checks on /ready.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { frontConfig, stats } from '../shutdown/haproxy.js';
import { freePort } from '../shutdown/proc.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** One backend as HAProxy sees it: `UP`, `DOWN`, ... and how many times it went from UP to DOWN. */
export interface ServerState {
  status: string;
  chkdown: number;
}

export interface Haproxy {
  /** The frontend's base URL. */
  front: string;
  /** Server name -> state, from `show stat` on the stats socket. */
  states(): Promise<Record<string, ServerState>>;
  child: ChildProcess;
}

/** Starts HAProxy in front of `servers` (name -> host:port), checking `GET /ready` with `check` (e.g. `inter 1s fall 1 rise 1`). */
export async function startHaproxy(
  t: Teardown,
  binary: string,
  servers: Record<string, string>,
  check: string,
): Promise<Haproxy> {
  const dir = mkdtempSync(join(tmpdir(), 'probekit-fleet-haproxy-'));
  const sock = join(dir, 'stats.sock');
  const port = await freePort();
  writeFileSync(
    join(dir, 'haproxy.cfg'),
    ['global', `  stats socket ${sock} level admin`, ...frontConfig('http', port, servers, check), ''].join('\n'),
  );
  const child = spawn(binary, ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'ignore', 'ignore'] });
  t.teardown(() => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const states = async () => {
    const lines = (await stats(sock, 'show stat')).trim().split('\n');
    const header = (lines[0] ?? '').replace(/^# /, '').split(',');
    const col = (name: string) => header.indexOf(name);
    const out: Record<string, ServerState> = {};
    for (const l of lines.slice(1)) {
      const c = l.split(',');
      if (c[0] === 'be' && c[col('svname')] !== 'BACKEND') {
        out[c[col('svname')] ?? ''] = { status: c[col('status')] ?? '', chkdown: Number(c[col('chkdown')] ?? 0) };
      }
    }
    return out;
  };
  return { front: `http://127.0.0.1:${port}`, states, child };
}

export interface Caddy {
  front: string;
  child: ChildProcess;
  log: string[];
}

/**
 * Starts Caddy as a reverse proxy in front of `upstreams` (host:port), round robin, with active health checks on
 * `/ready` every second; resolves once it accepts connections. No admin endpoint, no TLS, its state in a temporary
 * directory.
 */
export async function startCaddy(t: Teardown, binary: string, upstreams: readonly string[]): Promise<Caddy> {
  const dir = mkdtempSync(join(tmpdir(), 'probekit-fleet-caddy-'));
  const port = await freePort();
  writeFileSync(
    join(dir, 'Caddyfile'),
    [
      '{',
      '  admin off',
      '  auto_https off',
      `  storage file_system ${join(dir, 'data')}`,
      '}',
      `http://127.0.0.1:${port} {`,
      '  bind 127.0.0.1',
      `  reverse_proxy ${upstreams.join(' ')} {`,
      '    lb_policy round_robin',
      '    health_uri /ready',
      '    health_interval 1s',
      '    health_timeout 1s',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  const child = spawn(binary, ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], {
    cwd: dir,
    env: { ...process.env, HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const log: string[] = [];
  child.stderr?.setEncoding('utf8').on('data', (d: string) => log.push(d));
  t.teardown(() => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const front = `http://127.0.0.1:${port}`;
  const until = Date.now() + 20_000;
  for (;;) {
    try {
      const r = await fetch(`${front}/`, { headers: { connection: 'close' } });
      await r.arrayBuffer();
      return { front, child, log };
    } catch (err) {
      if (Date.now() > until || child.exitCode !== null) throw new Error(`caddy did not start: ${String(err)}; ${log.join('')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

// A real HAProxy for the shutdown tests: started on a config of the test's own, read through its stats socket.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haproxyBinary } from '../services/services.js';

/** One command on HAProxy's stats socket. */
export function stats(sock: string, cmd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(sock);
    let out = '';
    c.setEncoding('utf8');
    c.on('data', (d: string) => {
      out += d;
    });
    c.on('end', () => resolve(out));
    c.on('error', reject);
    c.setTimeout(2000, () => c.destroy(new Error('stats socket timeout')));
    c.end(`${cmd}\n`);
  });
}

/** Polls `fn` every 50 ms until it gives a value; rejects after `ms`. */
export async function until<T>(what: string, ms: number, fn: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The config after `global`: a frontend on 127.0.0.1:`port` in front of backend `be`, round robin over `servers` (name
 * -> host:port), each checked with `GET /ready` and `check` (e.g. `inter 1s fall 1 rise 1`). `tcp` is layer 4, the
 * shape of kube-proxy: on-marked-down is left alone, so a backend marked DOWN keeps its established connections.
 */
export function frontConfig(mode: 'http' | 'tcp', port: number, servers: Record<string, string>, check: string): string[] {
  return [
    'defaults',
    `  mode ${mode}`,
    '  timeout connect 2s',
    '  timeout client 30s',
    '  timeout server 30s',
    'frontend fe',
    `  bind 127.0.0.1:${port}`,
    '  default_backend be',
    'backend be',
    '  balance roundrobin',
    ...(mode === 'tcp' ? ['  option httpchk GET /ready'] : ['  option httpchk', '  http-check send meth GET uri /ready']),
    ...Object.entries(servers).map(([name, addr]) => `  server ${name} ${addr} check ${check}`),
  ];
}

export interface Haproxy {
  /** Server name -> status (UP, DOWN, ...) of backend `be`. */
  states(): Promise<Record<string, string>>;
  /** Runs one command on the stats socket (level admin), e.g. `set server be/a addr 127.0.0.1 port 8080`. */
  command(cmd: string): Promise<string>;
  /** What HAProxy wrote on stderr (its server state changes). */
  readonly log: string[];
  stop(): void;
}

/**
 * Starts HAProxy with a stats socket (`global` section) and `config` (the rest: defaults, frontend, backend `be`).
 * The caller calls `stop()` (in a teardown).
 */
export async function startHaproxy(config: readonly string[]): Promise<Haproxy> {
  const dir = mkdtempSync(join(tmpdir(), 'probekit-haproxy-'));
  const sock = join(dir, 'stats.sock');
  writeFileSync(join(dir, 'haproxy.cfg'), ['global', `  stats socket ${sock} level admin`, ...config, ''].join('\n'));
  const child: ChildProcess = spawn(await haproxyBinary(), ['-db', '-f', join(dir, 'haproxy.cfg')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const log: string[] = [];
  child.stderr?.setEncoding('utf8').on('data', (d: string) => log.push(d));
  return {
    log,
    command: (cmd) => stats(sock, cmd),
    async states() {
      const csv = await stats(sock, 'show stat');
      const lines = csv.trim().split('\n');
      const header = (lines[0] ?? '').replace(/^# /, '').split(',');
      const iSv = header.indexOf('svname');
      const iStatus = header.indexOf('status');
      const out: Record<string, string> = {};
      for (const l of lines.slice(1)) {
        const cols = l.split(',');
        if (cols[0] === 'be' && cols[iSv] !== 'BACKEND') out[cols[iSv] ?? ''] = cols[iStatus] ?? '';
      }
      return out;
    },
    stop() {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

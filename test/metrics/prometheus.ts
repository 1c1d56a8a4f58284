// A real Prometheus (Debian's package, installed once by test/services/lib/prometheus.sh) run by the test itself as a
// child process: its config and TSDB in a temporary directory of its own, a loopback port picked free, one scrape
// target given by the test, a scrape every second. Plus promtool, to lint exposition text.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from '../helpers/http-client.js';

const script = fileURLToPath(new URL('../services/lib/prometheus.sh', import.meta.url));
/** The script's exit code for "it cannot be had on this machine" (not root, no apt-get, or the install failed). */
const EXIT_UNAVAILABLE = 3;

export type PrometheusTools = { prometheus: string; promtool: string } | { skip: string };

let found: Promise<PrometheusTools> | undefined;

/**
 * The paths of `prometheus` and `promtool`, installing the package first when missing (prepare.sh did it already
 * under `npm test`); or a one-line reason to skip when they cannot be had here. Under CI=true that is an error
 * instead. Memoized per process.
 */
export function prometheusTools(): Promise<PrometheusTools> {
  found ??= new Promise<PrometheusTools>((resolve, reject) => {
    execFile('bash', [script, 'install'], { timeout: 10 * 60_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (!err) {
        const [prometheus, promtool] = stdout.trim().split('\n');
        if (prometheus && promtool) return resolve({ prometheus, promtool });
        return reject(new Error(`prometheus.sh printed no paths: ${JSON.stringify(stdout)}`));
      }
      const why = stderr.trim().split('\n').at(-1) || err.message;
      if ((err as { code?: unknown }).code !== EXIT_UNAVAILABLE) return reject(new Error(`prometheus.sh: ${why}`));
      if (process.env.CI === 'true') return reject(new Error(`prometheus unavailable under CI: ${why}`));
      resolve({ skip: `prometheus unavailable: ${why}` });
    });
  });
  return found;
}

/** Runs `promtool check metrics` with `text` on stdin; resolves with its exit code and everything it printed. */
export function promtoolCheckMetrics(promtool: string, text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(promtool, ['check', 'metrics'], { timeout: 30_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
      if (err && code === null) return reject(err);
      resolve({ code, output: `${stdout}${stderr}` });
    });
    child.stdin?.end(text);
  });
}

/** One series of an instant query: its labels and its value. */
export interface VectorSample {
  metric: Record<string, string>;
  value: number;
}

/** A running Prometheus, asked over its own HTTP API. */
export interface PrometheusServer {
  url: string;
  /** `GET /api/v1/query`: the instant vector of `expr` now. */
  query(expr: string): Promise<VectorSample[]>;
  /** The raw samples of a range selector such as `metric{label="x"}[5m]`, oldest first, per series. */
  samples(selector: string): Promise<{ metric: Record<string, string>; values: [number, number][] }[]>;
  /** The last lines of its log, for failure messages. */
  log(): string;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

async function freePort(): Promise<number> {
  const srv = createServer().listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as { port: number };
  srv.close();
  await once(srv, 'close');
  return port;
}

async function api(url: string, expr: string): Promise<{ resultType: string; result: unknown[] }> {
  const r = await request(url, `/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = JSON.parse(r.body) as { status: string; error?: string; data: { resultType: string; result: unknown[] } };
  if (r.statusCode !== 200 || body.status !== 'success')
    throw new Error(`query ${expr}: ${r.statusCode} ${body.error ?? r.body}`);
  return body.data;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts Prometheus scraping `target` (`host:port`, path `/metrics`) every second and waits until `/-/ready`
 * answers 200 (bounded: 30 s). Stopped (SIGTERM, then SIGKILL after 10 s) and its directory removed on teardown.
 */
export async function startPrometheus(t: Teardown, bin: string, target: string): Promise<PrometheusServer> {
  const dir = await mkdtemp(join(tmpdir(), 'probekit-prometheus-'));
  const children: ChildProcess[] = [];
  // One teardown, in this order: the TSDB must be closed before its directory goes.
  t.teardown(async () => {
    for (const child of children) await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  });
  const config = join(dir, 'prometheus.yml');
  await writeFile(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: probekit',
      '    metrics_path: /metrics',
      '    static_configs:',
      `      - targets: ['${target}']`,
      '',
    ].join('\n'),
  );
  // The port is free when picked but could be taken before Prometheus binds it: try again with another.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    let log = '';
    const child = spawn(
      bin,
      [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const keep = (chunk: Buffer) => {
      log = (log + chunk.toString('utf8')).slice(-16_384);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    children.push(child);
    const deadline = performance.now() + 30_000;
    let ready = false;
    while (!ready && child.exitCode === null && child.signalCode === null && performance.now() < deadline) {
      ready = await request(url, '/-/ready', { timeout: 1000 }).then(
        (r) => r.statusCode === 200,
        () => false,
      );
      if (!ready) await new Promise((r) => setTimeout(r, 100));
    }
    if (ready) {
      return {
        url,
        log: () => log,
        async query(expr) {
          const data = await api(url, expr);
          return (data.result as { metric: Record<string, string>; value: [number, string] }[]).map((s) => ({
            metric: s.metric,
            value: Number(s.value[1]),
          }));
        },
        async samples(selector) {
          const data = await api(url, selector);
          return (data.result as { metric: Record<string, string>; values: [number, string][] }[]).map((s) => ({
            metric: s.metric,
            values: s.values.map(([at, v]) => [at, Number(v)] as [number, number]),
          }));
        },
      };
    }
    await stopChild(child);
    if (attempt < 3 && /address already in use/.test(log)) continue;
    throw new Error(`prometheus did not become ready on ${url}: ${log.trim().split('\n').slice(-5).join(' | ')}`);
  }
}

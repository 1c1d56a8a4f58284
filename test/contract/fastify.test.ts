// The Fastify plugin: the contract table through app.inject and through a real listener; plugin options;
// check runs under 200 concurrent probe requests; and a process that exits on its own after app.close().
import { spawn } from 'node:child_process';
import { Agent } from 'node:http';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import t from 'tap';
import { InvalidOptionError } from '../../src/core/errors.js';
import type { HealthOptions } from '../../src/core/health.js';
import probekit, { Health, probekit as named, type ProbekitFastifyOptions } from '../../src/fastify/index.js';
import { createHealth } from '../../src/health.js';
import type { HttpOptions } from '../../src/http/contract.js';
import { request } from '../helpers/http-client.js';
import { recordingLogger } from '../helpers/logger.js';
import { waitFor } from '../helpers/wait.js';
import { type AdapterFactory, runContract } from './table.js';

async function build(healthOptions: HealthOptions, httpOptions: HttpOptions<unknown>): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  await app.register(probekit, { ...healthOptions, ...httpOptions } as ProbekitFastifyOptions);
  return app;
}

const viaInject: AdapterFactory = async (healthOptions, httpOptions) => {
  const app = await build(healthOptions, httpOptions);
  await app.ready();
  return {
    health: app.health,
    inject: async ({ method, url, headers }) => {
      const res = await app.inject({ method: method as 'GET', url, headers });
      return { statusCode: res.statusCode, headers: res.headers, body: res.body };
    },
    close: () => app.close(),
  };
};

const viaListener: AdapterFactory = async (healthOptions, httpOptions) => {
  const app = await build(healthOptions, httpOptions);
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    health: app.health,
    inject: ({ method, url, headers }) => request(address, url, { method, headers }),
    close: () => app.close(),
  };
};

// inject() hands the request to Fastify's router directly, past the server's 'request' event where probekit answers
// malformed probe URLs (Fastify's router rejects them before any plugin code runs); a real listener gets the
// contract's answer, as the run below shows.
const INJECT_ONLY_GAPS = {
  'GET /ready/% (malformed percent-encoding) is a JSON 400 with no-store':
    "inject() bypasses the server: Fastify's router answers its own 400",
};
t.test('contract through app.inject', (t) => runContract(t, viaInject, INJECT_ONLY_GAPS));
t.test('contract through a real listener and node:http', (t) => runContract(t, viaListener));

t.test('plugin: decorates app.health, starts on ready, stops on close', async (t) => {
  let runs = 0;
  const app = Fastify({ logger: false });
  await app.register(probekit, {
    shutdown: false,
    checks: [
      {
        name: 'db',
        run: async () => {
          runs++;
        },
      },
    ],
  });
  t.type(app.health, Health);
  t.equal(app.health.isRunning, false, 'not before ready');
  await app.ready();
  t.equal(app.health.isRunning, true);
  await waitFor(() => runs === 1, 'the first run');
  t.equal((await app.inject('/ready')).statusCode, 200);
  await app.close();
  t.equal(app.health.isRunning, false);
  t.throws(() => app.health.register({ name: 'late', run: async () => {} }), { name: 'RegistryStoppedError' });
  t.equal(named, probekit, 'the plugin is the default and a named export');
});

t.test('plugin: an existing registry can be passed in', async (t) => {
  const health = createHealth({ shutdown: false, logger: recordingLogger(), checks: [{ name: 'db', run: async () => {} }] });
  const app = Fastify({ logger: false });
  await app.register(probekit, { health, prefix: '/health' });
  t.equal(app.health, health);
  await app.ready();
  await waitFor(() => health.snapshot().checks.db?.status === 'pass', 'db to pass');
  t.equal((await app.inject('/health/ready')).statusCode, 200);
  await app.close();
  t.equal(health.isRunning, false);
});

t.test('plugin: bad options make app.ready() reject', async (t) => {
  const bad: [string, ProbekitFastifyOptions, unknown][] = [
    ['prefix without a slash', { prefix: 'health' }, InvalidOptionError],
    ['prefix with a trailing slash', { prefix: '/health/' }, InvalidOptionError],
    ['an unknown probe path', { paths: { healthz: '/healthz' } as never }, InvalidOptionError],
    ['a path with a query', { paths: { ready: '/ready?x=1' } }, InvalidOptionError],
    ['two probes on one path', { paths: { live: '/health', ready: '/health' } }, InvalidOptionError],
    ['details not a known value', { details: 'sometimes' as never }, InvalidOptionError],
    ['a bad check', { checks: [{ name: 'Bad Name', run: async () => {} }] }, InvalidOptionError],
    [
      'a duplicate check',
      {
        checks: [
          { name: 'a', run: async () => {} },
          { name: 'a', run: async () => {} },
        ],
      },
      Error,
    ],
    ['bad defaults', { defaults: { interval: -1 } }, InvalidOptionError],
    ['a health that is not a Health', { health: {} as never }, InvalidOptionError],
  ];
  for (const [what, opts, type] of bad) {
    const app = Fastify({ logger: false });
    app.register(probekit, { shutdown: false, ...opts });
    await t.rejects(
      async () => {
        await app.ready();
      },
      type as Error,
      what,
    );
    await app.close();
  }
});

t.test('plugin: HEAD is answered even when the app turns exposeHeadRoutes off', async (t) => {
  const app = Fastify({ logger: false, exposeHeadRoutes: false });
  await app.register(probekit, { shutdown: false });
  const res = await app.inject({ method: 'HEAD', url: '/live' });
  t.equal(res.statusCode, 200);
  await app.close();
});

t.test('plugin: registry options given together with `health` are rejected, not silently dropped', async (t) => {
  const health = createHealth({ shutdown: false, logger: recordingLogger() });
  const app = Fastify({ logger: false });
  app.register(probekit, { health, checks: [{ name: 'db', run: async () => {} }] });
  let error: unknown;
  try {
    await app.ready();
  } catch (err) {
    error = err;
  }
  t.type(error, InvalidOptionError);
  t.match(String(error), /`checks` cannot be combined with `health`/);
  await app.close();
});

t.test('plugin: probe routes log at warn by default, and logLevel changes it', async (t) => {
  const lines: string[] = [];
  const stream = { write: (line: string) => void lines.push(line) };
  const app = Fastify({ logger: { level: 'info', stream } });
  await app.register(probekit, { shutdown: false, checks: [{ name: 'db', run: async () => {} }] });
  app.get('/other', async () => 'x');
  await app.ready();
  await app.inject('/ready');
  t.notOk(
    lines.some((l) => l.includes('"url":"/ready"')),
    'no request log line for a probe',
  );
  await app.inject('/other');
  t.ok(
    lines.some((l) => l.includes('"url":"/other"')),
    'other routes still log',
  );
  await app.close();
  const loud: string[] = [];
  const app2 = Fastify({ logger: { level: 'info', stream: { write: (l: string) => void loud.push(l) } } });
  await app2.register(probekit, { shutdown: false, logLevel: 'info' });
  await app2.inject('/live');
  t.ok(
    loud.some((l) => l.includes('"url":"/live"')),
    'logLevel info logs the probe requests',
  );
  await app2.close();
});

t.test('under 200 concurrent probe requests, each check runs once per interval', async (t) => {
  const runs = { slow: [] as number[], fast: [] as number[] };
  const app = Fastify({ logger: false });
  await app.register(probekit, {
    shutdown: false,
    checks: [
      {
        name: 'slow',
        interval: 1000,
        run: async () => {
          runs.slow.push(performance.now());
        },
      },
      {
        name: 'fast',
        interval: 500,
        probes: ['live', 'ready'],
        run: async () => {
          runs.fast.push(performance.now());
        },
      },
    ],
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 200 });
  const started = performance.now();
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const paths = ['/ready', '/live', '/startup', '/ready?verbose', '/ready/slow', '/live/fast'];
  let requests = 0;
  let bad = 0;
  while (performance.now() - started < 3000) {
    const batch = await Promise.all(
      Array.from({ length: 200 }, (_, i) => request(address, paths[i % paths.length]!, { agent, timeout: 10_000 })),
    );
    requests += batch.length;
    bad += batch.filter((r) => r.statusCode !== 200).length;
  }
  const elapsed = performance.now() - started;
  const snapshot = app.health.snapshot();
  await app.close();
  agent.destroy();
  t.ok(requests >= 200, `${requests} requests`);
  t.equal(bad, 0, 'every probe answered 200');
  for (const [name, interval] of [
    ['slow', 1000],
    ['fast', 500],
  ] as const) {
    const times = runs[name];
    const most = 2 + Math.floor(elapsed / interval);
    // At most one run per interval (probe traffic never adds one); the loop under this load may delay a run, never
    // add one, so the lower bound only says the check kept running.
    t.ok(
      times.length >= 2 && times.length <= most,
      `${name}: ${times.length} runs in ${Math.round(elapsed)} ms, at least 2 and at most ${most}`,
    );
    const gaps = times.slice(1).map((time, i) => time - times[i]!);
    // Slack, not precision: libuv measures a timer from its cached loop time, which lags behind the clock on a busy
    // loop, so a timer can fire early by that lag. A run caused by probe traffic would show as a gap near 0.
    t.ok(
      gaps.every((gap) => gap >= interval / 2),
      `${name}: never two runs within one interval (gaps ${gaps.map(Math.round).join(', ')} ms)`,
    );
    t.ok(Math.abs(snapshot.checks[name]!.consecutiveSuccesses - times.length) <= 1, 'every run was recorded');
  }
});

t.test('after app.close() the process exits on its own', async (t) => {
  const fixture = fileURLToPath(new URL('../helpers/fastify-exit.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d;
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d;
  });
  const result = await new Promise<{ code: number | null; signal: string | null; timedOut: boolean }>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ code: null, signal: 'SIGKILL', timedOut: true });
    }, 10_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut: false });
    });
  });
  t.equal(result.timedOut, false, 'exited within 10 s');
  t.equal(result.code, 0, `exit code 0 (stderr: ${stderr.slice(0, 500)})`);
  t.match(stdout, /^status 503\n/, 'the hung critical check made /ready fail');
  t.match(stdout, /\[-\]hung failed: reason withheld\n/);
  t.match(stdout, /\[\+\]upstream ok\n/);
  t.match(stdout, /closed\n$/, 'app.close() resolved');
});

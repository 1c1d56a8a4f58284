// examples/kubernetes: the manifests parsed, and their timing checked against the app's settings (settings.ts, what
// app.ts runs with) and against the library's own defaults (CHECK_DEFAULTS, normalizeShutdown under Kubernetes), so
// that the manifests also hold for an app that sets nothing. The rules, and why (each is also a comment line of the
// manifest it belongs to, rendered here and looked up there, so the comments can not drift from the numbers):
// - grace:   terminationGracePeriodSeconds > preStop + shutdown.timeout: probekit's deadline comes before SIGKILL.
// - order:   readiness detection of a hung app (period x failureThreshold + timeout, the worst case) < the earliest
//            liveness kill ((failureThreshold - 1) x period + timeout): out of the endpoints before any restart.
// - delay:   readiness detection (period x failureThreshold) + the propagation margin <= shutdown.delay: whoever
//            follows readiness has stopped sending before the drain. /ready fails at once, so no timeout term.
// - startup: initialDelaySeconds + (failureThreshold - 1) x period > the slowest start settings.ts documents (the
//            first probe may come at once, so this is the earliest kill; period x failureThreshold is the latest).
// - timeout: every probe's timeoutSeconds > the event-loop check's maxDelayMs (+ the answer time, which
//            answer-time.test.ts measures): no probe times out while the app still calls its event-loop lag healthy.
// - window:  the check's worst detection (interval x (1 + jitter) x failureThreshold + timeout) + readiness
//            detection + the propagation margin <= the readiness window settings.ts promises.
// - haproxy: inter x fall < shutdown.delay; consul: Interval + Timeout < shutdown.delay, and
//            DeregisterCriticalServiceAfter >= 1 minute (Consul's minimum).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { parse, stringify } from 'yaml';
import * as settings from '../../examples/kubernetes/settings.js';
import { eventLoopCheck } from '../../plugins/event-loop.js';
import { httpCheck } from '../../plugins/http.js';
import { CHECK_DEFAULTS, normalizeCheck } from '../../src/core/options.js';
import { normalizeShutdown } from '../../src/core/shutdown.js';
import { BUILT_IN } from '../../src/grpc/options.js';
import { haproxyBinary, skipReason } from '../services/services.js';
import {
  type AppTiming,
  goDuration,
  haproxySection,
  haproxyTime,
  podRules,
  type Rule,
  readDeployment,
  sec,
  serverParam,
} from './rules.js';

const DIR = new URL('../../examples/kubernetes/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, DIR), 'utf8');
const K8S_ENV = { KUBERNETES_SERVICE_HOST: 'x' };
const run = async () => {};
type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

/** The serving time a delay guarantees: a fixed delay; for an adaptive `{ min, max, quiet }`, its `max` (it waits
 * until no request came for `quiet`, so it stretches to `max` while clients are still being told). */
function delayOf(delay: unknown): { ms: number; text: string } {
  if (typeof delay === 'number') return { ms: delay, text: `shutdown.delay ${sec(delay)}` };
  const d = delay as { min: number; max: number; quiet: number };
  if (d.min === d.max) return { ms: d.max, text: `shutdown.delay ${sec(d.max)}` };
  return { ms: d.max, text: `shutdown.delay max ${sec(d.max)} (adaptive, quiet ${sec(d.quiet)})` };
}

function timing(shutdownInput: unknown, checkInput: object): AppTiming {
  const shutdown = normalizeShutdown(shutdownInput, K8S_ENV);
  const check = normalizeCheck({ ...checkInput, run }, {});
  const delay = delayOf(shutdown.delay);
  return {
    delay: delay.ms,
    delayText: delay.text,
    shutdownTimeout: shutdown.timeout,
    check: {
      name: check.name,
      interval: check.interval,
      jitter: check.jitter,
      timeout: check.timeout,
      failureThreshold: check.failureThreshold,
    },
    maxLoopDelay: settings.CHECKS.eventLoop.maxDelayMs,
    slowestStart: settings.SLOWEST_START_MS,
    propagation: settings.PROPAGATION_MARGIN_MS,
    window: settings.READINESS_WINDOW_MS,
  };
}

/** The example as app.ts runs it, and an app that keeps every default (its dependency check included). */
const EXAMPLE = timing(settings.SHUTDOWN, settings.CHECKS.inventory);
const DEFAULTS = timing(undefined, { name: 'inventory' });

function assertRules(t: Tap, rules: Rule[], comments: string | undefined, label: string) {
  for (const r of rules) {
    t.ok(r.ok, `${label}: rule ${r.id}: ${r.text}`);
    if (comments !== undefined)
      t.ok(comments.includes(`rule ${r.id}: ${r.text}`), `the comment carries "rule ${r.id}: ${r.text}"`);
  }
}

t.test('the example keeps to the library where it says it does', async (t) => {
  const d = normalizeCheck({ name: 'x', run }, {});
  t.match(d, { interval: CHECK_DEFAULTS.interval, failureThreshold: CHECK_DEFAULTS.failureThreshold }, 'a default check');
  t.equal(d.timeout, Math.min(CHECK_DEFAULTS.timeout, Math.floor(CHECK_DEFAULTS.interval / 2)));
  const ex = normalizeShutdown(settings.SHUTDOWN, K8S_ENV);
  t.equal(delayOf(ex.delay).ms, settings.SHUTDOWN.delay, 'the example delay is fixed: the arithmetic is exact');
  t.equal(ex.timeout, settings.SHUTDOWN.timeout);
  t.equal(ex.hookTimeout, settings.SHUTDOWN.hookTimeout);
  // Normalizing also validates: the app would throw at start on a bad option.
  t.doesNotThrow(() => eventLoopCheck(settings.CHECKS.eventLoop));
  t.doesNotThrow(() => httpCheck({ ...settings.CHECKS.inventory, url: 'http://inventory/healthz' }));
  t.notOk(normalizeCheck({ ...settings.CHECKS.inventory, run }, {}).live, 'the dependency is not a liveness check');
});

for (const file of ['deployment.yaml', 'deployment-grpc.yaml']) {
  t.test(`${file}: the probes, and the arithmetic against the app and the defaults`, async (t) => {
    const text = read(file);
    const { pod, containerPorts, kinds } = readDeployment(text);
    t.same(kinds, ['Deployment', 'Service']);
    const grpcFile = file.includes('grpc');
    const want = grpcFile
      ? { startup: 'startup', readiness: '', liveness: 'liveness' }
      : { startup: '/startup', readiness: '/ready', liveness: '/live' };
    const probe = { startup: 'startup', readiness: 'ready', liveness: 'live' } as const;
    for (const k of ['startup', 'readiness', 'liveness'] as const) {
      const p = pod[k];
      t.equal(p.handler, grpcFile ? 'grpc' : 'httpGet', `${k}: ${p.handler}`);
      t.equal(p.target, want[k], `${k} probes ${JSON.stringify(p.target)}`);
      t.equal(p.port, grpcFile ? settings.GRPC_PORT : settings.HTTP_PORT, `${k}: the app's port`);
      // A gRPC service name must be one probekit serves, following the matching probe.
      if (grpcFile) t.equal(BUILT_IN.get(p.target)?.probe, probe[k], `service ${JSON.stringify(p.target)} follows /${probe[k]}`);
    }
    t.equal(containerPorts.get('http'), settings.HTTP_PORT);
    if (grpcFile) t.equal(containerPorts.get('grpc'), settings.GRPC_PORT);
    t.equal(pod.liveness.successThreshold, 1, 'liveness successThreshold must be 1 (API validation)');
    t.equal(pod.startup.successThreshold, 1, 'startup successThreshold must be 1 (API validation)');
    assertRules(t, podRules(pod, EXAMPLE), text, 'the example');
    assertRules(t, podRules(pod, DEFAULTS), undefined, 'the library defaults');
  });
}

t.test("the README's pod spec: every rule holds with the library's defaults", async (t) => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const block = /\n## The pod spec\n[\s\S]*?\n```yaml\n([\s\S]*?)\n```/.exec(readme)?.[1];
  if (block === undefined) throw new Error('README.md: no yaml block under "## The pod spec"');
  // The README shows the pod template only: wrap it in a Deployment to read it like the manifests.
  const { pod, containerPorts } = readDeployment(stringify({ kind: 'Deployment', spec: { template: parse(block) } }));
  t.equal(containerPorts.get('http'), settings.HTTP_PORT);
  t.same(
    [pod.startup.target, pod.readiness.target, pod.liveness.target],
    ['/startup', '/ready', '/live'],
    'each probe on its path',
  );
  t.equal(pod.preStop, 0, 'no preStop hook');
  assertRules(t, podRules(pod, DEFAULTS), undefined, 'the README with the library defaults');
});

t.test('the rules catch what breaks them: a changed manifest fails the rule it should', async (t) => {
  const base = read('deployment.yaml');
  const edit = (from: string, to: string) => {
    t.ok(base.includes(from), `the manifest has ${JSON.stringify(from)}`);
    return base.replace(from, to);
  };
  const image = '          image: registry.example.com/orders:1.0.0\n';
  const cases: [string, string, string[]][] = [
    [
      'a 10 s sleep preStop',
      edit(image, `${image}          lifecycle:\n            preStop:\n              sleep:\n                seconds: 10\n`),
      ['grace'],
    ],
    [
      'an exec `sleep 10` preStop',
      edit(
        image,
        `${image}          lifecycle:\n            preStop:\n              exec:\n                command: [/bin/sh, -c, sleep 10]\n`,
      ),
      ['grace'],
    ],
    [
      'readiness every 10 s',
      edit('            periodSeconds: 1\n', '            periodSeconds: 10\n'),
      ['order', 'delay', 'window'],
    ],
    [
      'liveness failureThreshold 1',
      edit(
        '            periodSeconds: 10\n            failureThreshold: 3\n',
        '            periodSeconds: 10\n            failureThreshold: 1\n',
      ),
      ['order'],
    ],
    [
      'startup failureThreshold 20',
      edit('            failureThreshold: 30\n', '            failureThreshold: 20\n'),
      ['startup'],
    ],
  ];
  for (const [label, text, broken] of cases) {
    const failing = [
      ...new Set(
        podRules(readDeployment(text).pod, EXAMPLE)
          .filter((r) => !r.ok)
          .map((r) => r.id),
      ),
    ];
    t.same(failing, broken, `${label}: breaks ${broken.join(', ')}`);
  }
  t.throws(
    () =>
      readDeployment(
        edit(
          image,
          `${image}          lifecycle:\n            preStop:\n              httpGet:\n                path: /quit\n                port: http\n`,
        ),
      ),
    /only `sleep` hooks/,
    'a preStop of unknown length is refused, not counted as 0',
  );
});

t.test('haproxy.cfg: the backend checks /ready, and marks a stopping pod DOWN inside the delay', async (t) => {
  const text = read('haproxy.cfg');
  const backend = haproxySection(text, 'backend orders');
  t.ok(backend.includes('option httpchk GET /ready'));
  t.ok(backend.includes('http-check expect status 200'));
  const server = backend.find((l) => l.startsWith('default-server')) ?? '';
  t.match(server, /\bcheck\b/, 'health checks on');
  const inter = haproxyTime(serverParam(server, 'inter') ?? '2s');
  // While a server changes state HAProxy checks every `fastinter` (default `inter`).
  const fastinter = haproxyTime(serverParam(server, 'fastinter') ?? `${inter}ms`);
  const fall = Number(serverParam(server, 'fall') ?? 3);
  const rise = Number(serverParam(server, 'rise') ?? 2);
  t.match({ inter, fall, rise }, { inter: 1000, fall: 2, rise: 2 });
  t.match(backend.find((l) => l.startsWith('server')) ?? '', new RegExp(`:${settings.HTTP_PORT}\\b`), "the app's port");
  for (const [label, app] of [
    ['the example', EXAMPLE],
    ['the library defaults', DEFAULTS],
  ] as const) {
    const detect = Math.max(inter, fastinter) * fall;
    const line = `rule haproxy: inter ${sec(inter)} x fall ${fall} = ${sec(detect)} < ${app.delayText}`;
    t.ok(detect < app.delay, `${label}: ${line}`);
    if (app === EXAMPLE) t.ok(text.includes(line), `the comment carries "${line}"`);
  }
});

// The HAProxy of the integration suites (test/services), installed when missing; skipped with the reason otherwise.
const noHaproxy = await skipReason(['haproxy']);
t.test('haproxy.cfg: HAProxy accepts the file', { skip: noHaproxy ?? false }, async (t) => {
  const { stdout, stderr } = await promisify(execFile)(await haproxyBinary(), [
    '-c',
    '-f',
    fileURLToPath(new URL('haproxy.cfg', DIR)),
  ]);
  t.match(stdout + stderr, /Configuration file is valid/);
  t.notMatch(stderr, /\[WARNING\]|\[ALERT\]/, 'no warnings');
});

t.test('consul-service.json: an HTTP check on /ready that turns critical inside the delay', async (t) => {
  const service = JSON.parse(read('consul-service.json')) as {
    Port: number;
    Check: {
      HTTP: string;
      Method?: string;
      Interval: string;
      Timeout: string;
      DeregisterCriticalServiceAfter: string;
      Notes: string;
    };
  };
  const check = service.Check;
  const url = new URL(check.HTTP);
  t.equal(url.pathname, '/ready');
  t.equal(Number(url.port), settings.HTTP_PORT);
  t.equal(service.Port, settings.HTTP_PORT);
  t.equal(check.Method ?? 'GET', 'GET');
  const interval = goDuration(check.Interval);
  const timeout = goDuration(check.Timeout);
  const deregister = goDuration(check.DeregisterCriticalServiceAfter);
  t.ok(timeout < interval, 'a run ends before the next is due');
  for (const [label, app] of [
    ['the example', EXAMPLE],
    ['the library defaults', DEFAULTS],
  ] as const) {
    const line = `rule consul: Interval ${sec(interval)} + Timeout ${sec(timeout)} = ${sec(interval + timeout)} < ${app.delayText}`;
    t.ok(interval + timeout < app.delay, `${label}: ${line}`);
    if (app === EXAMPLE) t.ok(check.Notes.includes(line), `Notes carries "${line}"`);
  }
  const line = `rule deregister: DeregisterCriticalServiceAfter ${sec(deregister)} >= 60 s`;
  t.ok(deregister >= 60_000, line);
  t.ok(check.Notes.includes(line), `Notes carries "${line}"`);
});

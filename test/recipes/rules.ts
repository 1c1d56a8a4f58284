// The timing rules of examples/kubernetes, as pure functions: read the probes of a pod spec, the HAProxy backend and
// the Consul check, and render each rule as the one line the manifests' comments carry, with whether it holds.
// kubernetes.test.ts feeds them the example's settings and the library's defaults.
import { parseAllDocuments } from 'yaml';

/** A probe of a container, with the kubelet's defaults filled in (times in ms). */
export interface Probe {
  handler: 'httpGet' | 'grpc';
  /** httpGet's path, or the gRPC service ('' when absent). */
  target: string;
  port: number;
  initialDelay: number;
  period: number;
  timeout: number;
  successThreshold: number;
  failureThreshold: number;
}

/** What the rules need from one Deployment (times in ms). */
export interface Pod {
  grace: number;
  preStop: number;
  startup: Probe;
  readiness: Probe;
  liveness: Probe;
}

/** What the rules need from the app: shutdown and one dependency check (times in ms). */
export interface AppTiming {
  /** The serving time after the signal the arithmetic may count on (for an adaptive delay, its `max`). */
  delay: number;
  delayText: string;
  shutdownTimeout: number;
  check: { name: string; interval: number; jitter: number; timeout: number; failureThreshold: number };
  maxLoopDelay: number;
  slowestStart: number;
  propagation: number;
  window: number;
}

/** One rule: the line the manifest's comment carries, and whether it holds. */
export interface Rule {
  id: string;
  text: string;
  ok: boolean;
}

/** `5000` -> `5 s`, `500` -> `0.5 s`. */
export function sec(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

// The kubelet's defaults for a probe (core/v1 types.go, SetDefaults_Probe).
const PROBE_DEFAULTS = { initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 };

type Obj = Record<string, unknown>;
const obj = (v: unknown, what: string): Obj => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`expected ${what} to be an object`);
  return v as Obj;
};

function readProbe(raw: unknown, ports: ReadonlyMap<string, number>, what: string): Probe {
  const p = obj(raw, what);
  const n = (key: keyof typeof PROBE_DEFAULTS) => {
    const v = p[key] ?? PROBE_DEFAULTS[key];
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`${what}.${key}: expected an integer`);
    return v;
  };
  const port = (v: unknown): number => {
    if (typeof v === 'number') return v;
    const named = typeof v === 'string' ? ports.get(v) : undefined;
    if (named === undefined) throw new Error(`${what}: unknown port ${String(v)}`);
    return named;
  };
  const common = {
    initialDelay: n('initialDelaySeconds') * 1000,
    period: n('periodSeconds') * 1000,
    timeout: n('timeoutSeconds') * 1000,
    successThreshold: n('successThreshold'),
    failureThreshold: n('failureThreshold'),
  };
  if (p.httpGet !== undefined) {
    const h = obj(p.httpGet, `${what}.httpGet`);
    return { handler: 'httpGet', target: String(h.path ?? '/'), port: port(h.port), ...common };
  }
  if (p.grpc !== undefined) {
    const g = obj(p.grpc, `${what}.grpc`);
    // The kubelet's gRPC probe takes a number only: no named ports.
    if (typeof g.port !== 'number') throw new Error(`${what}.grpc.port: expected a number`);
    return { handler: 'grpc', target: String(g.service ?? ''), port: g.port, ...common };
  }
  throw new Error(`${what}: expected httpGet or grpc`);
}

/** Seconds a preStop hook takes: `sleep: {seconds}` or an exec of `sleep N`; 0 when there is none. */
function preStopMs(container: Obj): number {
  const pre = (container.lifecycle as Obj | undefined)?.preStop as Obj | undefined;
  if (pre === undefined) return 0;
  const sleep = pre.sleep as Obj | undefined;
  if (typeof sleep?.seconds === 'number') return sleep.seconds * 1000;
  const command = ((pre.exec as Obj | undefined)?.command as unknown[] | undefined)?.join(' ') ?? '';
  const m = /(?:^|\s)sleep\s+(\d+)\s*$/.exec(command);
  if (m) return Number(m[1]) * 1000;
  throw new Error('preStop: only `sleep` hooks have a known length; add this one to the arithmetic by hand');
}

/** Reads the Deployment of a manifest (its first container). */
export function readDeployment(text: string): { pod: Pod; containerPorts: ReadonlyMap<string, number>; kinds: string[] } {
  const docs = parseAllDocuments(text);
  for (const d of docs) if (d.errors.length > 0) throw d.errors[0];
  const values = docs.map((d) => obj(d.toJS(), 'a YAML document'));
  const deployment = values.find((v) => v.kind === 'Deployment');
  if (deployment === undefined) throw new Error('no Deployment');
  const spec = obj(obj(obj(deployment.spec, 'spec').template, 'template').spec, 'pod spec');
  const container = obj((spec.containers as unknown[])[0], 'the first container');
  const ports = new Map<string, number>();
  for (const p of (container.ports as Obj[] | undefined) ?? [])
    if (typeof p.name === 'string') ports.set(p.name, Number(p.containerPort));
  const grace = (spec.terminationGracePeriodSeconds as number | undefined) ?? 30;
  return {
    pod: {
      grace: grace * 1000,
      preStop: preStopMs(container),
      startup: readProbe(container.startupProbe, ports, 'startupProbe'),
      readiness: readProbe(container.readinessProbe, ports, 'readinessProbe'),
      liveness: readProbe(container.livenessProbe, ports, 'livenessProbe'),
    },
    containerPorts: ports,
    kinds: values.map((v) => String(v.kind)),
  };
}

/** The rules of a pod spec against the app's timing. */
export function podRules(pod: Pod, app: AppTiming): Rule[] {
  const { startup: s, readiness: r, liveness: l } = pod;
  const readinessDetect = r.period * r.failureThreshold;
  const readinessHung = readinessDetect + r.timeout;
  const livenessHungEarliest = (l.failureThreshold - 1) * l.period + l.timeout;
  const startupKill = s.initialDelay + (s.failureThreshold - 1) * s.period;
  const c = app.check;
  // The longest interval jitter may draw, then failureThreshold of them and the last run's timeout.
  const longest = Math.round(c.interval * (1 + c.jitter));
  const checkDetect = longest * c.failureThreshold + c.timeout;
  const window = checkDetect + readinessDetect + app.propagation;
  const rules: Rule[] = [
    {
      id: 'grace',
      text: `terminationGracePeriodSeconds ${sec(pod.grace)} > preStop ${sec(pod.preStop)} + shutdown.timeout ${sec(app.shutdownTimeout)} = ${sec(pod.preStop + app.shutdownTimeout)}`,
      ok: pod.grace > pod.preStop + app.shutdownTimeout,
    },
    {
      id: 'order',
      text: `readiness ${sec(r.period)} x ${r.failureThreshold} + timeout ${sec(r.timeout)} = ${sec(readinessHung)} < liveness (${l.failureThreshold} - 1) x ${sec(l.period)} + timeout ${sec(l.timeout)} = ${sec(livenessHungEarliest)}`,
      ok: readinessHung < livenessHungEarliest,
    },
    {
      id: 'delay',
      text: `readiness ${sec(r.period)} x ${r.failureThreshold} = ${sec(readinessDetect)} + propagation ${sec(app.propagation)} = ${sec(readinessDetect + app.propagation)} <= ${app.delayText}`,
      ok: readinessDetect + app.propagation <= app.delay,
    },
    {
      id: 'startup',
      text: `initialDelaySeconds ${sec(s.initialDelay)} + (${s.failureThreshold} - 1) x ${sec(s.period)} = ${sec(startupKill)} > slowest start ${sec(app.slowestStart)}`,
      // The latest kill (initialDelay + period x failureThreshold) is then larger still.
      ok: startupKill > app.slowestStart && s.initialDelay + s.period * s.failureThreshold > app.slowestStart,
    },
  ];
  for (const [name, p] of [
    ['startupProbe', s],
    ['readinessProbe', r],
    ['livenessProbe', l],
  ] as const) {
    rules.push({
      id: 'timeout',
      text: `${name} timeoutSeconds ${sec(p.timeout)} > event-loop maxDelayMs ${sec(app.maxLoopDelay)} + the answer time`,
      ok: p.timeout > app.maxLoopDelay,
    });
  }
  rules.push({
    id: 'window',
    text: `${c.name} ${sec(c.interval)} x ${1 + c.jitter} x ${c.failureThreshold} + ${sec(c.timeout)} = ${sec(checkDetect)} + readiness ${sec(readinessDetect)} + propagation ${sec(app.propagation)} = ${sec(window)} <= window ${sec(app.window)}`,
    ok: window <= app.window,
  });
  return rules;
}

/** HAProxy's time format: a number with an optional unit (us, ms, s, m, h, d); ms by default. */
export function haproxyTime(text: string): number {
  const m = /^(\d+)(us|ms|s|m|h|d)?$/.exec(text);
  if (!m) throw new Error(`not an HAProxy time: ${text}`);
  const unit = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? 'ms'] as number;
  return Number(m[1]) * unit;
}

/** The lines of one section (`backend orders`) of an HAProxy file, comments removed. */
export function haproxySection(text: string, header: string): string[] {
  const lines = text.split('\n').map((l) => l.replace(/#.*$/, '').trim());
  const start = lines.indexOf(header);
  if (start < 0) throw new Error(`no "${header}" section`);
  const out: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (/^(global|defaults|frontend|backend|listen|resolvers|peers|userlist)\b/.test(l)) break;
    if (l !== '') out.push(l);
  }
  return out;
}

/** The value after `keyword` on a server line (`inter 1s`), or undefined. */
export function serverParam(line: string, keyword: string): string | undefined {
  const words = line.split(/\s+/);
  const i = words.indexOf(keyword);
  return i >= 0 ? words[i + 1] : undefined;
}

/** Go's `time.ParseDuration`, for the few forms Consul files use ("1s", "500ms", "1m30s"). */
export function goDuration(text: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let rest = text;
  let ms = 0;
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest);
    if (!m) throw new Error(`not a Go duration: ${text}`);
    ms += Number(m[1]) * (units[m[2] as string] as number);
    rest = rest.slice(m[0].length);
  }
  return ms;
}

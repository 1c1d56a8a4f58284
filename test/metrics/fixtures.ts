// Shared pieces of the metrics tests: a quiet health registry, checks whose runs are counted or steered, and a small
// parser of the Prometheus text format (enough for the series probekit writes).
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HealthOptions } from '../../src/core/health.js';
import type { Check, RunEvent } from '../../src/core/types.js';
import { createHealth, type Health } from '../../src/health.js';
import { recordingLogger } from '../helpers/logger.js';

/** A tap test object, as far as these helpers use it. */
interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A registry with no signal handling and a logger that keeps quiet; stopped on teardown. */
export function quietHealth(t: Teardown, options: HealthOptions = {}): Health {
  const health = createHealth({ shutdown: false, logger: recordingLogger(), ...options });
  t.teardown(() => health.stop());
  return health;
}

/** A check that passes while `control.ok` is true, counting its runs. */
export function steeredCheck(
  name: string,
  options: Partial<Check> = {},
): { check: Check; control: { ok: boolean; runs: number } } {
  const control = { ok: true, runs: 0 };
  const check: Check = {
    name,
    interval: 100,
    timeout: 50,
    failureThreshold: 1,
    ...options,
    async run() {
      control.runs++;
      if (!control.ok) throw new Error(`${name} is down`);
    },
  };
  return { check, control };
}

/** Every `run` event of the registry, in order, from now on. */
export function recordRuns(t: Teardown, health: Health): RunEvent[] {
  const seen: RunEvent[] = [];
  const listener = (e: RunEvent) => {
    seen.push(e);
  };
  health.on('run', listener);
  t.teardown(() => {
    health.off('run', listener);
  });
  return seen;
}

/** One sample line of the text format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The samples of an exposition text (comments and blank lines skipped); throws on a line it cannot read. */
export function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (m === null) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** The value of the one sample named `name` whose labels include `labels`; undefined when there is none. */
export function sample(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples match ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

/** `# TYPE` of each metric family in the text. */
export function typesOf(text: string): Record<string, string> {
  const types: Record<string, string> = {};
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types[m[1]!] = m[2]!;
  return types;
}

/** Listens with `listener` on a loopback port of its own; closed (connections too) on teardown. */
export async function listen(t: Teardown, listener: RequestListener): Promise<{ server: Server; base: string; port: number }> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as AddressInfo;
  return { server, base: `http://127.0.0.1:${port}`, port };
}

// Shared pieces of the probekit/consul tests: a quiet registry, options pointing at a stand-in agent, an app server
// whose status the test sets, a free port for an agent that starts later, and the health read-back.
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConsulRegistrationOptions } from '../../src/consul/index.js';
import type { HealthOptions } from '../../src/core/health.js';
import { createHealth, type Health } from '../../src/health.js';
import { type RecordingLogger, recordingLogger } from '../helpers/logger.js';
import { waitFor } from '../helpers/wait.js';
import type { StandInAgent } from './agent.js';

/** A tap test, as far as these helpers use it. */
export interface Teardown {
  teardown(fn: () => unknown): void;
}

/**
 * A registry with a recording logger (`logger`: the registry wraps it, the test reads its entries), no exit, and a
 * signal no test sends; stopped on teardown.
 */
export function quietHealth(t: Teardown, options: HealthOptions = {}): { health: Health; logger: RecordingLogger } {
  const logger = recordingLogger();
  const shutdown = { exit: false, signals: ['SIGUSR2' as const], ...(options.shutdown || {}) };
  const health = createHealth({ logger, ...options, shutdown });
  t.teardown(() => health.stop());
  return { health, logger };
}

/** The messages logged at `level` that contain `text`. */
export function logged(logger: RecordingLogger, level: string, text: string) {
  return logger.entries.filter((e) => e.level === level && e.msg?.includes(text));
}

/** Options for a service `web` (id `web-1`) on `port`, checked over HTTP on `/ready` every 200 ms. */
export function webOptions(
  agentUrl: string,
  port: number,
  extra: Partial<ConsulRegistrationOptions> = {},
): ConsulRegistrationOptions {
  return {
    agent: agentUrl,
    service: { name: 'web', id: 'web-1', address: '127.0.0.1', port },
    check: { http: '/ready', interval: 200, timeout: 150, deregisterCriticalServiceAfter: '1m' },
    retry: { initialDelay: 10, maxDelay: 40 },
    requestTimeout: 1000,
    ...extra,
  };
}

/** A node:http app answering `status` (settable) on every path. */
export interface App {
  readonly server: Server;
  readonly port: number;
  status: number;
  close(): Promise<void>;
}

export async function startApp(t: Teardown, status = 200): Promise<App> {
  const app = { status } as App;
  const server = createHttpServer((_req, res) => {
    res.writeHead(app.status, { 'content-type': 'text/plain' });
    res.end(`status ${app.status}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  t.teardown(close);
  return Object.assign(app, { server, port: (server.address() as AddressInfo).port, close });
}

/** A port nothing listens on (for now): listened on, then closed. */
export async function freePort(): Promise<number> {
  const server = createHttpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One entry of `GET /v1/health/service/:name`. */
export interface HealthEntry {
  Service: { ID: string; Service: string; Tags: string[]; Meta: Record<string, string>; Address: string; Port: number };
  Checks: { CheckID: string; Name: string; Status: string; Notes: string; Output: string; ServiceID: string }[];
}

/** `GET /v1/health/service/:name` of the agent (with its token, if it has one). */
export async function readBack(agent: StandInAgent, name: string, token?: string): Promise<HealthEntry[]> {
  const res = await fetch(`${agent.url}/v1/health/service/${name}`, { headers: token ? { 'x-consul-token': token } : {} });
  if (!res.ok) throw new Error(`read-back answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as HealthEntry[];
}

/** Status of the check `checkId` as the read-back shows it, or `gone`. */
export async function checkStatus(agent: StandInAgent, name: string, checkId: string): Promise<string> {
  const entries = await readBack(agent, name);
  return entries[0]?.Checks.find((c) => c.CheckID === checkId)?.Status ?? 'gone';
}

/** Polls the async `predicate` every 10 ms until it is true; rejects after `timeout` ms. */
export async function pollUntil(predicate: () => Promise<boolean>, what: string, timeout = 5000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Waits (bounded) until the service's own check reads `status` on the agent. */
export async function waitForCheck(agent: StandInAgent, name: string, id: string, status: string, timeout = 5000) {
  let last = '';
  await pollUntil(
    async () => {
      last = await checkStatus(agent, name, `service:${id}`);
      return last === status;
    },
    `service:${id} to be ${status}`,
    timeout,
  ).catch((err: Error) => {
    throw new Error(`${err.message} (last: ${last})`);
  });
}

/** Waits (bounded) until the agent has received `n` requests to `path`. */
export function waitForRequests(agent: StandInAgent, path: string, n: number, timeout = 5000): Promise<void> {
  return waitFor(() => agent.received(path).length >= n, `${n} requests to ${path}`, timeout);
}

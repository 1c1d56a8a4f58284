// In-process pieces of the probe server tests: a registry with the probe server on a free loopback port, the same
// registry served by node:http on another, and a raw GET that keeps every byte of the answer.
import type { HttpOptions } from '../../src/http/contract.js';
import { createHealth, type Health, type HealthOptions } from '../../src/index.js';
import type { ProbeServerOptions } from '../../src/probe-server/options.js';
import { ADAPTERS } from '../helpers/adapters.js';
import { type ClientResponse, request } from '../helpers/http-client.js';
import { recordingLogger } from '../helpers/logger.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A registry (no signals, no exit) with the probe server on 127.0.0.1, port 0; stopped on teardown. */
export function withProbeServer(t: Teardown, options: HealthOptions = {}, probeServer: Partial<ProbeServerOptions> = {}): Health {
  const health = createHealth({
    logger: recordingLogger(),
    shutdown: { exit: false, signals: ['SIGUSR2'] },
    ...options,
    probeServer: { port: 0, host: '127.0.0.1', ...probeServer },
  });
  t.teardown(() => health.stop());
  return health;
}

/** The probe server's base URL, once it listens. */
export async function probeBase(health: Health): Promise<string> {
  const address = await health.probeServer?.listening;
  if (address === undefined) throw new Error('no probe server');
  return `http://127.0.0.1:${address.port}`;
}

/** The registry served by a node:http server (`attach`, `serveProbes`) on loopback; closed on teardown. */
export function appBase(t: Teardown, health: Health, http: HttpOptions = {}): Promise<string> {
  return ADAPTERS['node:http'](t, health, http);
}

/** GET (or HEAD) with headers, the answer read whole. */
export function get(base: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<ClientResponse> {
  return request(base, path, { headers, method });
}

/** Polls an async predicate every 20 ms until it is true; rejects after `timeout` ms (bounded, never a bare sleep). */
export async function until(predicate: () => Promise<boolean>, what: string, timeout = 5000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

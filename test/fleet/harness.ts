// In-process fleet instances for the fleet tests: one registry each, served by node:http on a loopback address of its
// own, with a steerable shared check, counting the peer questions they receive.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FleetEvent } from '../../src/fleet/fleet.js';
import type { FleetOptions } from '../../src/fleet/options.js';
import { createHealth, type Health } from '../../src/health.js';
import { type RecordingLogger, recordingLogger } from '../helpers/logger.js';

export interface Instance {
  health: Health;
  server: Server;
  host: string;
  port: number;
  logger: RecordingLogger;
  /** Set to make this instance's own `db` check fail. */
  down: boolean;
  /** `GET /ready/db` requests received from peers. */
  asked: number;
  events: FleetEvent[];
  url(path: string): string;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** The shared check's timing in these tests: a run every 200 ms, fail after 3 failed runs. */
export const INTERVAL = 200;

/** Starts one instance on `host:port` (port 0: any). */
export async function startInstance(
  t: Teardown,
  fleet: FleetOptions,
  host = '127.0.0.1',
  port = 0,
  extra: Parameters<typeof createHealth>[0] = {},
): Promise<Instance> {
  const logger = recordingLogger();
  const health = createHealth({ logger, shutdown: false, fleet, ...extra });
  const server = createServer((_req, res) => res.end('app'));
  const inst: Instance = {
    health,
    server,
    host,
    port: 0,
    logger,
    down: false,
    asked: 0,
    events: [],
    url: (path) => `http://${host}:${inst.port}${path}`,
  };
  health.register({
    name: 'db',
    shared: true,
    interval: INTERVAL,
    timeout: 100,
    run: async () => {
      if (inst.down) throw new Error('connect ECONNREFUSED 127.0.0.1:13306');
    },
  });
  health.on('fleet', (e: FleetEvent) => inst.events.push(e));
  health.attach(server, { serveProbes: true });
  server.on('request', (req: IncomingMessage) => {
    if (req.headers['user-agent'] === 'probekit-fleet') inst.asked++;
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  inst.port = (server.address() as AddressInfo).port;
  health.start();
  t.teardown(async () => {
    server.closeAllConnections();
    server.close();
    await health.stop();
  });
  return inst;
}

/** GET with a fresh connection: status, body and headers; status 0 on a connection error. */
export async function get(url: string, headers: Record<string, string> = {}) {
  try {
    const res = await fetch(url, { headers: { connection: 'close', ...headers } });
    return { status: res.status, body: await res.text(), headers: res.headers };
  } catch (err) {
    return { status: 0, body: String(err), headers: new Headers() };
  }
}

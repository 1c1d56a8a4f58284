// The three adapters on real loopback listeners, defined once for every test and child-process fixture that serves a
// registry over HTTP: the Fastify plugin, the Express router (the server attached for the drain, with the router's
// HTTP options) and the node:http layer (`health.attach(server, { serveProbes: true })` in front of the app).
// `serve()` needs no test runner (child processes use it too); `ADAPTERS` and `serveAll()` close on a test's teardown.
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { probekitExpress } from '../../src/express/index.js';
import probekit from '../../src/fastify/index.js';
import type { Health } from '../../src/health.js';
import type { HttpOptions } from '../../src/http/contract.js';

/** A tap test object, as far as these helpers use it. */
interface Teardown {
  teardown(fn: () => unknown): void;
}

/** The three adapters, by the names the tests print. */
export type AdapterName = 'fastify' | 'express' | 'node:http';

/** Every adapter, in the order the tests run them. */
export const ADAPTER_NAMES: readonly AdapterName[] = ['fastify', 'express', 'node:http'];

/** How {@link serve} builds the app around the probes. Everything is optional. */
export interface ServeOptions {
  /** The adapter's HTTP options (paths, prefix, details, statusPage, watch...). Default none. */
  http?: HttpOptions;
  /** The loopback port to listen on. Default 0, a free one. */
  port?: number;
  /** Fastify: the app to register the plugin on, with its own routes and logger. Default `Fastify({ logger: false })`. */
  fastify?: FastifyInstance;
  /** Express: adds the app's own routes, after the probekit router. */
  express?: (app: Express) => void;
  /** node:http: the app behind the layer (an Express app, a plain handler...). Default: answers `app` to everything. */
  handler?: RequestListener;
  /** Called with the server before the adapter follows it (a drain target that must come first, ...). */
  beforeAttach?: (server: Server) => void;
}

/** One adapter serving a registry on 127.0.0.1. */
export interface Served {
  name: AdapterName;
  /** `http://127.0.0.1:<port>`. */
  base: string;
  port: number;
  health: Health;
  server: Server;
  /** Closes the app and its server (every connection) and stops the registry; safe to call twice. */
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

/** Listens on 127.0.0.1 (`port`, default 0: a free one); resolves with the port. */
export function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve) => server.listen(port, HOST, () => resolve((server.address() as AddressInfo).port)));
}

/** Destroys every connection of `server` and closes it, if it still listens (a drain may have closed it). */
export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  if (server.listening) await new Promise((resolve) => server.close(resolve));
}

const appAnswer: RequestListener = (_req, res) => {
  res.end('app');
};

/** Serves `health` through the adapter `name` on a real loopback listener. */
export async function serve(name: AdapterName, health: Health, options: ServeOptions = {}): Promise<Served> {
  const http = options.http ?? {};
  const served = (server: Server, port: number, close: () => Promise<void>): Served => {
    let closing: Promise<void> | undefined;
    return { name, base: `http://${HOST}:${port}`, port, health, server, close: () => (closing ??= close()) };
  };
  if (name === 'fastify') {
    const app = options.fastify ?? Fastify({ logger: false });
    options.beforeAttach?.(app.server);
    await app.register(probekit, { health, ...http });
    // The plugin starts the checks on onReady, and app.close() closes the registry.
    await app.listen({ port: options.port ?? 0, host: HOST });
    return served(app.server, (app.server.address() as AddressInfo).port, async () => {
      await app.close();
      await health.stop();
    });
  }
  let server: Server;
  if (name === 'express') {
    const app = express();
    app.use(probekitExpress(health, http));
    options.express?.(app);
    server = createServer(app);
    options.beforeAttach?.(server);
    // The same paths as the router, as the README says: the adaptive shutdown delay then tells its probes from traffic.
    health.attach(server, http);
  } else {
    server = createServer(options.handler ?? appAnswer);
    options.beforeAttach?.(server);
    health.attach(server, { serveProbes: true, ...http });
  }
  health.start();
  const port = await listen(server, options.port);
  return served(server, port, async () => {
    await health.stop();
    await closeServer(server);
  });
}

/** Starts an adapter for `health` with `http` options, closed on `t`'s teardown; resolves with its base URL. */
export type ServeAdapter = (t: Teardown, health: Health, http: HttpOptions) => Promise<string>;

function onTeardown(name: AdapterName): ServeAdapter {
  return async (t, health, http) => {
    const s = await serve(name, health, { http });
    t.teardown(() => s.close());
    return s.base;
  };
}

/** Each adapter as a {@link ServeAdapter}: `for (const [name, make] of Object.entries(ADAPTERS))`. */
export const ADAPTERS: Record<AdapterName, ServeAdapter> = {
  fastify: onTeardown('fastify'),
  express: onTeardown('express'),
  'node:http': onTeardown('node:http'),
};

/** One registry served by all three adapters at once, each on its own port; all closed on `t`'s teardown. */
export async function serveAll(t: Teardown, health: Health, http: HttpOptions = {}): Promise<Served[]> {
  const all: Served[] = [];
  t.teardown(async () => {
    for (const s of all) await s.close();
  });
  for (const name of ADAPTER_NAMES) all.push(await serve(name, health, { http }));
  return all;
}

import type { Server } from 'node:http';
import type { Http2SecureServer, Http2Server } from 'node:http2';
import { HealthCore, type HealthOptions } from './core/health.js';
import { type AttachOptions, attachServer } from './node-http/attach.js';
import { normalizeProbeServer } from './probe-server/options.js';
import { ProbeServer } from './probe-server/server.js';

/**
 * The registry (checks, cached answers, events, shutdown; see {@link HealthCore}) plus `attach()`, which wires a
 * node:http(s) server into the shutdown and, if asked, serves the probes on it.
 */
export class Health extends HealthCore {
  /** The probe server (`probeServer` option): `listening` resolves with its address. Undefined when off. */
  readonly probeServer: ProbeServer | undefined;

  /** @throws InvalidOptionError on bad options (see {@link HealthOptions}). */
  constructor(options: HealthOptions = {}) {
    super(options);
    const cfg = normalizeProbeServer(options.probeServer);
    const server = cfg && new ProbeServer(this, cfg, this.logger);
    this.probeServer = server;
    // It keeps answering through the drain (the kubelet probes a terminating pod); it stops with the check timers.
    if (server) this.addParticipant({ name: 'probe server', phase: 'schedule', close: () => server.close() });
  }

  /**
   * Wires a node:http(s) or node:http2 server into the shutdown sequence, including the connections it already has
   * (for node:http2, the sessions opened from now on). At the signal every HTTP/1.x answer says `Connection: close`
   * and each HTTP/2 session gets a GOAWAY; after the delay the server drains. With `serveProbes: true` it also
   * answers the probe paths itself, before any framework: attach after the app's request handler is set
   * (`http.createServer(app)`), so that the handler can be wrapped. `keepAliveTimeout` sets the server's.
   * Returns a function that undoes it.
   * @throws InvalidOptionError for something that is not a server, bad HTTP options or a bad `keepAliveTimeout`.
   */
  attach(server: Server | Http2Server | Http2SecureServer, options: AttachOptions = {}): () => void {
    const { target, detach } = attachServer(this, server, options);
    const remove = this.addDrainTarget(target, 'http server');
    // The fleet view asks peers on this server's port, and never asks this server's own address.
    const unserve = this.fleetView?.serve(server);
    return () => {
      remove();
      detach();
      unserve?.();
    };
  }
}

/** Creates a health registry. Throws InvalidOptionError on bad options (see {@link HealthOptions}). */
export function createHealth(options?: HealthOptions): Health {
  return new Health(options);
}

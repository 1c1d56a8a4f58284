import type { Server } from '@grpc/grpc-js';
import type { HealthLike } from '../core/health-like.js';
import { InvalidOptionError } from '../index.js';
import { ServerAttachment } from './attachment.js';
import { type GrpcHealthOptions, normalizeGrpcOptions, normalizeTarget, type ServiceTarget } from './options.js';
import { ServiceTable } from './table.js';

/**
 * What grpcHealth uses of a registry: `createHealth()`'s Health or Fastify's `app.health`. Structural, so that a
 * registry from another copy of probekit (a build beside the sources, two installs) fits too.
 */
export type HealthRegistry = Pick<HealthLike, 'on' | 'evaluate' | 'isShuttingDown' | 'addDrainTarget'>;

function isHealth(value: unknown): value is HealthRegistry {
  const h = value as Partial<Record<'on' | 'evaluate' | 'addDrainTarget', unknown>> | null;
  return (
    typeof h === 'object' &&
    h !== null &&
    typeof h.on === 'function' &&
    typeof h.evaluate === 'function' &&
    typeof h.addDrainTarget === 'function'
  );
}

/**
 * The `grpc.health.v1.Health` service of one registry: Check, Watch and List, answered from state cached on the
 * registry's 'change' event (an RPC never starts a check run), and a drain target of the registry's shutdown.
 * Create it with {@link grpcHealth}.
 */
export class GrpcHealth {
  private readonly table: ServiceTable;
  private readonly servers = new Map<object, ServerAttachment>();
  // Synchronous, so that watchers hear a change (the shutdown starting) in the same tick.
  private readonly onChange = () => this.table.refresh();

  constructor(
    private readonly health: HealthRegistry,
    options?: GrpcHealthOptions,
  ) {
    if (!isHealth(health)) throw new InvalidOptionError('Expected `health` to be a Health created by createHealth()');
    this.table = new ServiceTable(health, normalizeGrpcOptions(options));
    // One listener per GrpcHealth, whatever the number of servers and Watch streams.
    health.on('change', this.onChange);
  }

  /**
   * Puts the health service on a grpc-js server and makes the server a drain target of the registry's shutdown:
   * after `shutdown.delay` the Watch streams end with status OK and the server stops accepting (`tryShutdown`);
   * at the deadline `forceShutdown` ends what is left. Returns a function that undoes both (and ends this server's
   * Watch streams); call it before a `tryShutdown` of your own, which open Watch streams would otherwise hold up.
   * @throws InvalidOptionError when the server already has it; grpc-js's error when it has another health service.
   */
  addToServer(server: Server): () => void {
    if (this.servers.has(server)) throw new InvalidOptionError('This gRPC server has the probekit health service already');
    const attachment = new ServerAttachment(server, this.table);
    attachment.add();
    let removeTarget: () => void;
    try {
      removeTarget = this.health.addDrainTarget(attachment, 'grpc server');
    } catch (err) {
      attachment.remove();
      throw err;
    }
    this.servers.set(server, attachment);
    return () => {
      if (this.servers.get(server) !== attachment) return;
      this.servers.delete(server);
      removeTarget();
      attachment.remove();
    };
  }

  /**
   * Adds a service name, or changes what one follows: a probe (`'live'`, `'ready'`, `'startup'`) or a list of check
   * names (SERVING while they pass, with readiness's shutdown and holds). Open Watch streams for the name, including
   * those that got SERVICE_UNKNOWN, are told its status at once.
   * @throws InvalidOptionError for a built-in name (`''`, `liveness`, `readiness`, `startup`) or a bad target.
   */
  setService(name: string, target: ServiceTarget): this {
    this.table.set(name, normalizeTarget(name, target, 'setService'));
    return this;
  }

  /** Removes a name added with `services` or `setService`; its Watch streams get SERVICE_UNKNOWN. False when absent. */
  removeService(name: string): boolean {
    return this.table.delete(name);
  }

  /** The status Check answers for `name` now (undefined: NOT_FOUND). No I/O. */
  status(name: string): 'SERVING' | 'NOT_SERVING' | undefined {
    return this.table.status(name);
  }

  /** Every known service name, the built-in ones first. */
  get serviceNames(): string[] {
    return this.table.names();
  }

  /** Open Watch streams, over all servers. */
  get watcherCount(): number {
    return this.table.watcherCount;
  }
}

/**
 * Creates the gRPC health service of a registry (`createHealth()` or Fastify's `app.health`); put it on a server with
 * `addToServer(server)`. Names: `''` (the whole server) and `readiness` follow `/ready`, `liveness` follows `/live`,
 * `startup` follows `/startup`, plus `options.services`.
 * @throws InvalidOptionError for bad options, or when `health` is not a registry.
 */
export function grpcHealth(health: HealthRegistry, options?: GrpcHealthOptions): GrpcHealth {
  return new GrpcHealth(health, options);
}

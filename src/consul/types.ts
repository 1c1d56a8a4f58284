// The public types of probekit/consul: the options, the registry it ties into, the state it reports.
import type { HealthLike } from '../core/health-like.js';
import type { Timers } from '../core/types.js';
import type { ConsulDuration } from './duration.js';

/** The service as Consul lists it (`PUT /v1/agent/service/register`). */
export interface ConsulServiceOptions {
  /** `Name`: letters, digits, `.`, `_`, `-`, starting with a letter or digit; at most 256 characters. Required. */
  name: string;
  /** `ID`, unique on the agent (maintenance and deregistration use it); the same characters plus `:`. Default: `name`. */
  id?: string;
  /** `Address`: what discovery hands out. Default: none (Consul then gives the node's address). */
  address?: string;
  /** `Port`, 1 to 65535. Required. */
  port: number;
  /** `Tags`. Default none. */
  tags?: readonly string[];
  /** `Meta`: at most 64 keys of `[A-Za-z0-9_-]` (128 characters, not starting with `consul-`), values of 512. */
  meta?: Readonly<Record<string, string>>;
}

/** The check Consul runs against the service: exactly one of `http` and `grpc`. */
export interface ConsulCheckOptions {
  /** A path (`'/ready'`, becomes `http://<address or 127.0.0.1>:<port>/ready`) or an http(s) URL. */
  http?: string;
  /** `'host:port'` or `'host:port/service'`: Consul calls `grpc.health.v1.Health/Check` there. */
  grpc?: string;
  /** How often Consul runs the check (ms, or Go format like `'10s'`). Required. */
  interval: ConsulDuration;
  /** How long one run may take; must be < `interval`. Required. */
  timeout: ConsulDuration;
  /** Consul removes the service once its check has been critical this long (it raises anything below 1 min to 1 min). Required. */
  deregisterCriticalServiceAfter: ConsulDuration;
}

/** The backoff of the registration while the agent cannot be reached or refuses. */
export interface ConsulRetryOptions {
  /** First delay in ms; it doubles on every failed attempt, with jitter. Default 1000. */
  initialDelay?: number;
  /** Cap of the delay in ms, `>= initialDelay`. Default 30000. */
  maxDelay?: number;
}

/** Options of `consulRegistration()`. */
export interface ConsulRegistrationOptions {
  /** The agent's HTTP API, `http(s)://host:port`. Default `'http://127.0.0.1:8500'`. */
  agent?: string;
  /** ACL token, sent as `X-Consul-Token` (needs `service:write` on the service). Default none. */
  token?: string;
  service: ConsulServiceOptions;
  check: ConsulCheckOptions;
  /** Limit of each request to the agent, in ms. Default 5000. */
  requestTimeout?: number;
  retry?: ConsulRetryOptions;
  /** Clock and timers, for tests with fake timers. Default: the globals, unref'ed. */
  timers?: Timers;
}

/**
 * What a registration uses of a registry: `createHealth()`'s Health or Fastify's `app.health`. Structural, so that a
 * registry from another copy of probekit fits too.
 */
export type ConsulHealthRegistry = Pick<HealthLike, 'logger' | 'isRunning' | 'isShuttingDown' | 'on' | 'off' | 'addParticipant'>;

/**
 * Where a registration stands: `waiting` for the registry to start, `registering` (attempts, retries between them),
 * `registered`, `maintenance` (the shutdown began: out of discovery), `deregistered`, or `closed` without deregistering.
 */
export type ConsulRegistrationState = 'waiting' | 'registering' | 'registered' | 'maintenance' | 'deregistered' | 'closed';

/** Options of {@link ConsulRegistration.close}. */
export interface ConsulCloseOptions {
  /** Remove the service from the agent (if a registration was ever sent). Default `true`. */
  deregister?: boolean;
}

// The grpc.health.v1.Health service definition, and the few response messages probekit ever sends.
import type { ServiceDefinition } from '@grpc/grpc-js';
// The grpc-node team's own package: the official health.proto (Check, Watch and, since 2.1.0, List), loaded with
// @grpc/proto-loader. Only its definition is used; its HealthImplementation has no shutdown and no backpressure.
import { service } from 'grpc-health-check';

/** A serving status as the wire carries it (`HealthCheckResponse.ServingStatus`, enums as strings). */
export type WireStatus = 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

/** A `HealthCheckResponse` message. */
export interface StatusMessage {
  readonly status: WireStatus;
}

/** The three answers Check and Watch ever give, as shared frozen objects (their encoding is computed once). */
export const RESPONSES: Readonly<Record<WireStatus, StatusMessage>> = Object.freeze({
  SERVING: Object.freeze({ status: 'SERVING' }),
  NOT_SERVING: Object.freeze({ status: 'NOT_SERVING' }),
  SERVICE_UNKNOWN: Object.freeze({ status: 'SERVICE_UNKNOWN' }),
});

/** gRPC status codes used here (grpc/grpc `doc/statuscodes.md`); numbers, so nothing of grpc-js is loaded at run time. */
export const GRPC_STATUS = Object.freeze({ OK: 0, NOT_FOUND: 5, RESOURCE_EXHAUSTED: 8 });

/** The request of Check and Watch, as the definition decodes it (`keepCase`, `defaults`). */
export interface StatusRequest {
  readonly service?: string;
}

type Serialize = (value: unknown) => Buffer;

/**
 * Wraps a response serializer so that the shared response objects are encoded once: a Check answer then costs no
 * protobuf encoding at all. Anything else (a List answer) goes through the original serializer.
 */
function memoized(serialize: Serialize): Serialize {
  const bytes = new Map<unknown, Buffer>();
  for (const message of Object.values(RESPONSES)) bytes.set(message, serialize(message));
  return (value) => bytes.get(value) ?? serialize(value);
}

function withMemoizedResponses(definition: ServiceDefinition): ServiceDefinition {
  const out: Record<string, ServiceDefinition[string]> = {};
  for (const [name, method] of Object.entries(definition)) {
    out[name] = { ...method, responseSerialize: memoized(method.responseSerialize as Serialize) };
  }
  return Object.freeze(out);
}

/**
 * The definition probekit adds to a server: the package's, with the constant responses pre-encoded.
 * Methods `Check`, `Watch`, `List`, path `/grpc.health.v1.Health/<Method>`.
 */
export const HEALTH_SERVICE: ServiceDefinition = withMemoizedResponses(service as unknown as ServiceDefinition);

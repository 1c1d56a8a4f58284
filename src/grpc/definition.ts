// The grpc.health.v1.Health service definition, and the few response messages probekit ever sends. Written here (the
// messages are tiny, see health-proto.ts), so that no protobuf library is installed or loaded with probekit. grpc-js
// is imported for its types only.
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import {
  decodeCheckRequest,
  decodeCheckResponse,
  decodeListRequest,
  decodeListResponse,
  encodeCheckRequest,
  encodeCheckResponse,
  encodeListResponse,
  SERVING_STATUS,
} from './health-proto.js';

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

/** The request of Check and Watch, as the definition decodes it (`service` is `''` when absent). */
export interface StatusRequest {
  readonly service?: string;
}

/**
 * A `HealthCheckResponse` as the definition decodes it: the status name, or the number for one it does not know (as
 * protobuf.js does with `enums: String`).
 */
export interface DecodedStatus {
  readonly status: string | number;
}

/** A `HealthListResponse`: every service with its status. */
export interface ListMessage {
  readonly statuses: Readonly<Record<string, { readonly status?: string | number }>>;
}

/** A status name or number as its number; a name this side does not know is UNKNOWN (0). */
function statusNumber(status: string | number | undefined): number {
  if (typeof status === 'number') return status;
  const n = SERVING_STATUS.indexOf(status ?? 'UNKNOWN');
  return Math.max(n, 0);
}

function decodedStatus(status: number): string | number {
  return SERVING_STATUS[status] ?? status;
}

// Check and Watch answer with one of three shared objects: their bytes are encoded once, so an answer costs no
// encoding at all. grpc-js copies them into its own frame and never writes to them.
const ENCODED = new Map<unknown, Buffer>(
  Object.values(RESPONSES).map((message) => [message, encodeCheckResponse(statusNumber(message.status))]),
);

function serializeStatus(message: { readonly status?: string | number }): Buffer {
  return ENCODED.get(message) ?? encodeCheckResponse(statusNumber(message.status));
}

function deserializeStatus(bytes: Buffer): DecodedStatus {
  return { status: decodedStatus(decodeCheckResponse(bytes)) };
}

function serializeRequest(request: StatusRequest): Buffer {
  return encodeCheckRequest(request.service ?? '');
}

function deserializeRequest(bytes: Buffer): { service: string } {
  return { service: decodeCheckRequest(bytes) };
}

function serializeList(message: ListMessage): Buffer {
  const entries: [string, number][] = [];
  for (const [name, value] of Object.entries(message.statuses ?? {})) entries.push([name, statusNumber(value?.status)]);
  return encodeListResponse(entries);
}

function deserializeList(bytes: Buffer): { statuses: Record<string, DecodedStatus> } {
  const statuses: Record<string, DecodedStatus> = {};
  for (const [name, status] of decodeListResponse(bytes)) statuses[name] = { status: decodedStatus(status) };
  return { statuses };
}

function serializeListRequest(): Buffer {
  return Buffer.alloc(0);
}

function deserializeListRequest(bytes: Buffer): Record<string, never> {
  decodeListRequest(bytes);
  return {};
}

const PATH = '/grpc.health.v1.Health/';

function method<Req, Res>(
  name: string,
  responseStream: boolean,
  request: [(value: Req) => Buffer, (bytes: Buffer) => Req],
  response: [(value: Res) => Buffer, (bytes: Buffer) => Res],
): MethodDefinition<Req, Res> {
  return Object.freeze({
    path: `${PATH}${name}`,
    requestStream: false,
    responseStream,
    requestSerialize: request[0],
    requestDeserialize: request[1],
    responseSerialize: response[0],
    responseDeserialize: response[1],
    originalName: name.charAt(0).toLowerCase() + name.slice(1),
  });
}

const STATUS_REQUEST: [(value: StatusRequest) => Buffer, (bytes: Buffer) => StatusRequest] = [
  serializeRequest,
  deserializeRequest,
];
const STATUS_RESPONSE: [(value: DecodedStatus) => Buffer, (bytes: Buffer) => DecodedStatus] = [
  serializeStatus,
  deserializeStatus,
];

/**
 * The service probekit adds to a server, wire-compatible with the official `health.proto`: methods `Check`, `Watch`
 * (server streaming) and `List`, paths `/grpc.health.v1.Health/<Method>`. Its decoders give what `@grpc/proto-loader`
 * gives with `keepCase`, `enums: String` and `defaults`, so it also serves `makeClientConstructor`.
 */
export const HEALTH_SERVICE: ServiceDefinition = Object.freeze({
  Check: method('Check', false, STATUS_REQUEST, STATUS_RESPONSE),
  Watch: method('Watch', true, STATUS_REQUEST, STATUS_RESPONSE),
  List: method<Record<string, never>, ListMessage>(
    'List',
    false,
    [serializeListRequest, deserializeListRequest],
    [serializeList, deserializeList],
  ),
});

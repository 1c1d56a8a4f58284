// The two messages of grpc.health.v1, encoded by hand (no protobuf library to load), and gRPC's 5-byte message
// framing. Pure.
//   message HealthCheckRequest  { string service = 1; }
//   message HealthCheckResponse { ServingStatus status = 1; }  UNKNOWN = 0, SERVING = 1, NOT_SERVING = 2, SERVICE_UNKNOWN = 3

/** The ServingStatus names by number. */
export const SERVING_STATUS: readonly string[] = Object.freeze(['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN']);

/** gRPC status code names by number. */
export const GRPC_CODES: readonly string[] = Object.freeze([
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
]);

function varint(value: number): number[] {
  const out: number[] = [];
  while (value > 0x7f) {
    out.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return out;
}

/** A HealthCheckRequest for `service`, framed (flag 0 = uncompressed, 4-byte big-endian length, message). */
export function encodeCheckRequest(service: string): Buffer {
  const name = Buffer.from(service, 'utf8');
  // proto3 leaves a default (empty) string out: the message is then empty.
  const message = name.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a, ...varint(name.length)]), name]);
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  return frame;
}

/**
 * The first message of a gRPC response body.
 * @throws Error when the body holds no whole message, or the message is compressed (none was asked for).
 */
export function firstMessage(body: Buffer): Buffer {
  if (body.length < 5) throw new Error(body.length === 0 ? 'no response message' : 'truncated response frame');
  const flag = body[0];
  if (flag === 1) throw new Error('compressed response message (no compression was offered)');
  if (flag !== 0) throw new Error(`malformed response frame (flag ${flag})`);
  const length = body.readUInt32BE(1);
  if (body.length < 5 + length) throw new Error('truncated response message');
  return body.subarray(5, 5 + length);
}

/** Reads a varint at `pos`; returns [value, next position]. */
function readVarint(buf: Buffer, pos: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    const byte = buf[pos + i];
    if (byte === undefined) throw new Error('truncated varint');
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if (byte < 0x80) return [value, pos + i + 1];
  }
  throw new Error('varint longer than 10 bytes');
}

/**
 * The `status` of a HealthCheckResponse (0, UNKNOWN, when absent). Unknown fields are skipped, as protobuf
 * requires; a negative enum (10-byte varint) reads as a large number and so as an unknown status.
 * @throws Error for a malformed message.
 */
export function decodeCheckResponse(message: Buffer): number {
  let status = 0;
  let pos = 0;
  while (pos < message.length) {
    const [tag, next] = readVarint(message, pos);
    pos = next;
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (wire === 0) {
      const [value, after] = readVarint(message, pos);
      if (field === 1) status = value;
      pos = after;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const [length, after] = readVarint(message, pos);
      pos = after + length;
    } else throw new Error(`unsupported wire type ${wire} in the response`);
    if (pos > message.length) throw new Error('truncated response field');
  }
  return status;
}

/** A ServingStatus number as its name (`status 7` for one this client does not know). */
export function statusName(status: number): string {
  return SERVING_STATUS[status] ?? `status ${status}`;
}

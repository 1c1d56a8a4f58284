// gRPC's 5-byte message framing (grpc/grpc `doc/PROTOCOL-HTTP2.md`, Length-Prefixed-Message) and the status code
// names. Pure. The messages themselves are encoded by src/grpc/health-proto.ts.

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

/** A message, framed: flag 0 (uncompressed), its length as 4 bytes big-endian, the message. */
export function frame(message: Buffer): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out.writeUInt32BE(message.length, 1);
  message.copy(out, 5);
  return out;
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

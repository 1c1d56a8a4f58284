// The four messages of grpc.health.v1 (grpc/grpc `src/proto/grpc/health/v1/health.proto`), encoded and decoded by
// hand: no protobuf library is loaded. Pure; used by the gRPC service definition and by the command line.
//   message HealthCheckRequest  { string service = 1; }
//   message HealthCheckResponse { ServingStatus status = 1; }  UNKNOWN = 0, SERVING = 1, NOT_SERVING = 2, SERVICE_UNKNOWN = 3
//   message HealthListRequest   {}
//   message HealthListResponse  { map<string, HealthCheckResponse> statuses = 1; }
// Decoding follows protobuf's rules: unknown fields are skipped (groups included), the last value of a repeated
// scalar field wins, and a map entry repeated for one key replaces the earlier one.

/** The ServingStatus names by number. */
export const SERVING_STATUS: readonly string[] = Object.freeze(['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN']);

/** A ServingStatus number as its name (`status 7` for one this side does not know). */
export function statusName(status: number): string {
  return SERVING_STATUS[status] ?? `status ${status}`;
}

const TAG_1_VARINT = 0x08;
const TAG_1_BYTES = 0x0a;
const TAG_2_BYTES = 0x12;

function varint(value: number, out: number[]): void {
  // A negative int32 goes out as ten bytes (its 64-bit two's complement), as protobuf writes it.
  if (value < 0) {
    let low = value >>> 0;
    for (let i = 0; i < 4; i++) {
      out.push((low & 0x7f) | 0x80);
      low >>>= 7;
    }
    out.push(low | 0x70 | 0x80, 0xff, 0xff, 0xff, 0xff, 0x01);
    return;
  }
  while (value > 0x7f) {
    out.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
}

function lengthDelimited(tag: number, bytes: Buffer, out: Buffer[]): void {
  const head: number[] = [tag];
  varint(bytes.length, head);
  out.push(Buffer.from(head), bytes);
}

/** Encodes a HealthCheckRequest. proto3 leaves the default (empty) name out: the message is then empty. */
export function encodeCheckRequest(service: string): Buffer {
  if (service === '') return Buffer.alloc(0);
  const parts: Buffer[] = [];
  lengthDelimited(TAG_1_BYTES, Buffer.from(service, 'utf8'), parts);
  return Buffer.concat(parts);
}

/** Encodes a HealthCheckResponse for a status number. UNKNOWN (0), the default, is an empty message. */
export function encodeCheckResponse(status: number): Buffer {
  if (status === 0) return Buffer.alloc(0);
  const bytes = [TAG_1_VARINT];
  varint(status, bytes);
  return Buffer.from(bytes);
}

/** Encodes a HealthListResponse: one map entry (key, then value) per service and status number, in the order given. */
export function encodeListResponse(statuses: Iterable<readonly [string, number]>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, status] of statuses) {
    const entry: Buffer[] = [];
    lengthDelimited(TAG_1_BYTES, Buffer.from(name, 'utf8'), entry);
    lengthDelimited(TAG_2_BYTES, encodeCheckResponse(status), entry);
    lengthDelimited(TAG_1_BYTES, Buffer.concat(entry), parts);
  }
  return Buffer.concat(parts);
}

/** A reader over one message. Every method throws an Error on a truncated or malformed message. */
class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  /** A varint's low 32 bits (unsigned); `high` tells whether any bit above them was set. */
  varint(): { low: number; high: boolean } {
    let low = 0;
    let high = false;
    for (let i = 0; i < 10; i++) {
      const byte = this.buf[this.pos++];
      if (byte === undefined) throw new Error('truncated varint');
      const bits = byte & 0x7f;
      if (i < 4) low |= bits << (7 * i);
      else if (i === 4) {
        low |= (bits & 0x0f) << 28;
        if (bits > 0x0f) high = true;
      } else if (bits !== 0) high = true;
      if (byte < 0x80) return { low: low >>> 0, high };
    }
    throw new Error('varint longer than 10 bytes');
  }

  /** An int32 (an enum): the low 32 bits as a signed number, as protobuf reads it. */
  int32(): number {
    return this.varint().low | 0;
  }

  /** A length-delimited field's bytes. */
  bytes(): Buffer {
    const { low, high } = this.varint();
    if (high || this.pos + low > this.buf.length) throw new Error('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + low);
    this.pos += low;
    return out;
  }

  /** The next tag: field number and wire type. */
  tag(): { field: number; wire: number } {
    const { low, high } = this.varint();
    const field = low >>> 3;
    if (high || field === 0) throw new Error('invalid field number');
    return { field, wire: low & 7 };
  }

  /** Skips a field of an unknown number. */
  skip(wire: number, field: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.advance(8);
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.advance(4);
    else if (wire === 3) {
      // A group (proto2): its fields, up to the end-group tag of the same number.
      for (;;) {
        if (this.done) throw new Error('truncated group');
        const next = this.tag();
        if (next.wire === 4) {
          if (next.field !== field) throw new Error('mismatched end of group');
          return;
        }
        this.skip(next.wire, next.field);
      }
    } else throw new Error(`unsupported wire type ${wire}`);
  }

  private advance(n: number): void {
    if (this.pos + n > this.buf.length) throw new Error('truncated field');
    this.pos += n;
  }
}

/**
 * Decodes a HealthCheckRequest: the service name (`''` when absent).
 * @throws Error for a malformed message.
 */
export function decodeCheckRequest(message: Buffer): string {
  const r = new Reader(message);
  let service = '';
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 2) service = r.bytes().toString('utf8');
    else r.skip(wire, field);
  }
  return service;
}

/**
 * Decodes a HealthCheckResponse: the status number (0, UNKNOWN, when absent; a negative enum reads as negative).
 * @throws Error for a malformed message.
 */
export function decodeCheckResponse(message: Buffer): number {
  return readStatus(message, 0);
}

/**
 * Decodes a HealthListRequest, which has no fields: checks that the message is well formed.
 * @throws Error for a malformed message.
 */
export function decodeListRequest(message: Buffer): void {
  const r = new Reader(message);
  while (!r.done) {
    const { field, wire } = r.tag();
    r.skip(wire, field);
  }
}

/**
 * Decodes a HealthListResponse: each service name with its status number, in the order of the wire.
 * @throws Error for a malformed message.
 */
export function decodeListResponse(message: Buffer): Map<string, number> {
  const r = new Reader(message);
  const statuses = new Map<string, number>();
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field !== 1 || wire !== 2) {
      r.skip(wire, field);
      continue;
    }
    const entry = new Reader(r.bytes());
    let name = '';
    let status = 0;
    while (!entry.done) {
      const t = entry.tag();
      if (t.field === 1 && t.wire === 2) name = entry.bytes().toString('utf8');
      // A message field given twice is merged; for a one-field message that is the later status, when it has one.
      else if (t.field === 2 && t.wire === 2) status = readStatus(entry.bytes(), status);
      else entry.skip(t.wire, t.field);
    }
    statuses.set(name, status);
  }
  return statuses;
}

/** The status of a HealthCheckResponse, `previous` when the message sets none. */
function readStatus(message: Buffer, previous: number): number {
  const r = new Reader(message);
  let status = previous;
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 0) status = r.int32();
    else r.skip(wire, field);
  }
  return status;
}

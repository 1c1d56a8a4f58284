// probekit's own grpc.health.v1 definition against the official health.proto (as grpc-health-check ships it, loaded
// with @grpc/proto-loader and the options that package uses): the same methods, paths and stream flags, and every
// message encoded by one side decodes to the same value on the other, unknown fields skipped.
import type { MethodDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath } from 'grpc-health-check';
import t from 'tap';
import { HEALTH_SERVICE, RESPONSES } from '../../src/grpc/definition.js';

type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

const loaded = loadSync(protoPath, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
// biome-ignore lint/suspicious/noExplicitAny: both definitions take and give any message object.
type Methods = Record<'Check' | 'Watch' | 'List', MethodDefinition<any, any>>;
const official = loaded['grpc.health.v1.Health'] as unknown as Methods;
const ours = HEALTH_SERVICE as unknown as Methods;

/** One side's encoder and the other's decoder, both ways, for the request or the response of a method. */
function roundTrips(t: Tap, method: keyof Methods, side: 'request' | 'response', value: unknown, name: string) {
  const a = official[method];
  const b = ours[method];
  const [aEncode, aDecode, bEncode, bDecode] =
    side === 'request'
      ? [a.requestSerialize, a.requestDeserialize, b.requestSerialize, b.requestDeserialize]
      : [a.responseSerialize, a.responseDeserialize, b.responseSerialize, b.responseDeserialize];
  const expected = aDecode(aEncode(value));
  t.same(bDecode(aEncode(value)), expected, `${name}: official bytes, our decoder`);
  t.same(aDecode(bEncode(value)), expected, `${name}: our bytes, the official decoder`);
}

/** Fields of every wire type under numbers no health message uses, a group (proto2) among them. */
const UNKNOWN_FIELDS = Buffer.from([
  ...[0x48, 0x96, 0x01], // field 9, varint 150
  ...[0x51, 1, 2, 3, 4, 5, 6, 7, 8], // field 10, fixed64
  ...[0x5a, 0x03, 0x61, 0x62, 0x63], // field 11, bytes 'abc'
  ...[0x65, 1, 2, 3, 4], // field 12, fixed32
  ...[0x6b, 0x08, 0x01, 0x12, 0x01, 0x78, 0x6c], // field 13, a group holding two fields
]);

const LONG = 'svc.'.repeat(5000); // 20,000 bytes: a three-byte length

t.test('the same methods, paths and stream flags', async (t) => {
  t.same(Object.keys(ours).sort(), Object.keys(official).sort());
  for (const [name, method] of Object.entries(official)) {
    const mine = ours[name as keyof Methods];
    t.equal(mine.path, method.path, `${name} path`);
    t.equal(mine.requestStream, method.requestStream, `${name} requestStream`);
    t.equal(mine.responseStream, method.responseStream, `${name} responseStream`);
    t.equal(mine.originalName, method.originalName, `${name} originalName`);
  }
  t.equal(ours.Watch.responseStream, true, 'Watch streams its answers');
});

t.test('HealthCheckRequest', async (t) => {
  for (const [name, service] of [
    ['empty service', ''],
    ['a name', 'grpc.health.v1.Health'],
    ['a long name', LONG],
    ['non-ASCII', 'сервис-✓-服务'],
  ] as const) {
    roundTrips(t, 'Check', 'request', { service }, name);
    roundTrips(t, 'Watch', 'request', { service }, `Watch ${name}`);
  }
  t.same(ours.Check.requestDeserialize(Buffer.alloc(0)), { service: '' }, 'an empty message is the empty name');
  const bytes = Buffer.concat([UNKNOWN_FIELDS, official.Check.requestSerialize({ service: 'db' }), UNKNOWN_FIELDS]);
  t.same(ours.Check.requestDeserialize(bytes), { service: 'db' }, 'unknown fields skipped');
  t.same(ours.Check.requestDeserialize(bytes), official.Check.requestDeserialize(bytes));
  const twice = Buffer.from([0x0a, 0x01, 0x61, 0x0a, 0x01, 0x62]);
  t.same(ours.Check.requestDeserialize(twice), official.Check.requestDeserialize(twice), 'the last value wins');
});

t.test('HealthCheckResponse', async (t) => {
  for (const status of ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN']) {
    roundTrips(t, 'Check', 'response', { status }, status);
    roundTrips(t, 'Watch', 'response', { status }, `Watch ${status}`);
  }
  for (const message of Object.values(RESPONSES)) {
    t.same(official.Check.responseDeserialize(ours.Check.responseSerialize(message)), message, `${message.status}, pre-encoded`);
  }
  for (const status of [7, -1]) {
    const bytes = official.Check.responseSerialize({ status });
    t.same(ours.Check.responseDeserialize(bytes), official.Check.responseDeserialize(bytes), `a status unknown here (${status})`);
  }
  const bytes = Buffer.concat([UNKNOWN_FIELDS, Buffer.from([0x08, 0x02]), UNKNOWN_FIELDS]);
  t.same(ours.Check.responseDeserialize(bytes), { status: 'NOT_SERVING' }, 'unknown fields skipped');
  t.same(ours.Check.responseDeserialize(bytes), official.Check.responseDeserialize(bytes));
});

t.test('HealthListRequest', async (t) => {
  roundTrips(t, 'List', 'request', {}, 'empty');
  t.same(ours.List.requestDeserialize(UNKNOWN_FIELDS), official.List.requestDeserialize(UNKNOWN_FIELDS), 'unknown fields');
});

t.test('HealthListResponse', async (t) => {
  roundTrips(t, 'List', 'response', { statuses: {} }, 'no services');
  const several = {
    statuses: {
      '': { status: 'SERVING' },
      liveness: { status: 'SERVING' },
      readiness: { status: 'NOT_SERVING' },
      startup: { status: 'UNKNOWN' },
      'shop.Orders': { status: 'SERVICE_UNKNOWN' },
      [LONG]: { status: 'NOT_SERVING' },
      'сервис-✓': { status: 'SERVING' },
    },
  };
  roundTrips(t, 'List', 'response', several, 'several entries');
  const hundred = { statuses: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`svc-${i}`, RESPONSES.SERVING])) };
  roundTrips(t, 'List', 'response', hundred, 'a hundred entries');

  // Unknown fields at every level: around the map entries, inside an entry, and inside its value.
  const entry = (key: string, value: number[]) => {
    const k = Buffer.from(key);
    const v = Buffer.from(value);
    const body = Buffer.concat([UNKNOWN_FIELDS, Buffer.from([0x0a, k.length]), k, Buffer.from([0x12, v.length]), v]);
    return Buffer.concat([Buffer.from([0x0a, body.length]), body]);
  };
  const bytes = Buffer.concat([
    UNKNOWN_FIELDS,
    entry('a', [0x08, 0x01]),
    UNKNOWN_FIELDS,
    entry('b', [...UNKNOWN_FIELDS, 0x08, 0x02]),
    entry('a', [0x08, 0x02]), // the same key again: the later entry wins
  ]);
  t.same(ours.List.responseDeserialize(bytes), { statuses: { a: { status: 'NOT_SERVING' }, b: { status: 'NOT_SERVING' } } });
  t.same(ours.List.responseDeserialize(bytes), official.List.responseDeserialize(bytes), 'unknown fields skipped as officially');
});

t.test('malformed messages throw', async (t) => {
  for (const [name, bytes] of [
    ['a truncated varint', [0x08]],
    ['wire type 7', [0x0f]],
  ] as const) {
    const buf = Buffer.from(bytes);
    t.throws(() => official.Check.requestDeserialize(buf), `${name}: official`);
    t.throws(() => ours.Check.requestDeserialize(buf), `${name}: ours`);
  }
  // protobuf.js reads a string past the end of the message unchecked; this side refuses it.
  t.throws(() => ours.Check.requestDeserialize(Buffer.from([0x0a, 0x05, 0x61])), /truncated/, 'a truncated string');
  t.throws(() => ours.List.responseDeserialize(Buffer.from([0x0a, 0x04, 0x0a, 0x01])), /truncated/, 'a truncated map entry');
});

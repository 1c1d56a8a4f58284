// The command line's pure parts, table-driven: flag values, the event-stream parser, the protobuf messages,
// the watch model and its rendering.
import { readFileSync } from 'node:fs';
import t from 'tap';
import {
  formatDuration,
  formatStatusSet,
  parseDuration,
  parseHeaders,
  parseStatusSet,
  statusAccepted,
  VERSION,
} from '../../src/cli/args.js';
import { cliCodes, exitCode, UsageError } from '../../src/cli/errors.js';
import { parseAddress } from '../../src/cli/grpc.js';
import { firstMessage, frame } from '../../src/cli/grpc-frame.js';
import { capBytes, oneLine, parseHealthBody } from '../../src/cli/report.js';
import { SseParser } from '../../src/cli/sse.js';
import { applyUpdate, initialState, type Update } from '../../src/cli/watch-model.js';
import { watchUrl } from '../../src/cli/watch-source.js';
import { age, changeLine, renderTable } from '../../src/cli/watch-view.js';
import { decodeCheckResponse, encodeCheckRequest, statusName } from '../../src/grpc/health-proto.js';
import { ROOT } from './cli.js';

t.test('VERSION is the package version', async (t) => {
  const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string; bin: Record<string, string> };
  t.equal(VERSION, pkg.version);
  t.equal(pkg.bin.probekit, 'dist/src/cli/probekit.cjs', 'the bin is the built entry');
});

t.test('durations, as Go writes them', async (t) => {
  const ok: [string, number][] = [
    ['1s', 1000],
    ['500ms', 500],
    ['1.5s', 1500],
    ['.5s', 500],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['1500us', 1.5],
    ['1000000ns', 1],
    ['1.s', 1000],
  ];
  for (const [text, ms] of ok) t.equal(parseDuration('timeout', text), ms, text);
  for (const bad of ['', '1', '0', '0s', '-1s', '1 s', 's', '1x', '1s ', '0.5us', '25d', 'NaNs']) {
    t.throws(() => parseDuration('timeout', bad), UsageError, JSON.stringify(bad));
  }
  t.throws(() => parseDuration('timeout', '1'), { message: '--timeout: expected a duration like 1s, 500ms or 1.5s, got "1"' });
  for (const [ms, text] of [
    [1000, '1s'],
    [1500, '1.5s'],
    [500, '500ms'],
    [1.5, '1.5ms'],
    [90_000, '90s'],
  ] as const) {
    t.equal(formatDuration(ms), text);
  }
});

t.test('status sets', async (t) => {
  t.same(parseStatusSet('200'), [[200, 200]]);
  t.same(parseStatusSet('200-299, 2xx,5XX'), [
    [200, 299],
    [200, 299],
    [500, 599],
  ]);
  t.equal(formatStatusSet(parseStatusSet('2xx,404,300-302')), '2xx,404,300-302');
  const set = parseStatusSet('2xx,404');
  t.ok(statusAccepted(set, 204));
  t.ok(statusAccepted(set, 404));
  t.notOk(statusAccepted(set, 302));
  for (const bad of ['', ',', '2x', '2xxx', '0xx', '099', '600', '300-200', '200-', 'ok'])
    t.throws(() => parseStatusSet(bad), UsageError, bad);
});

t.test('headers', async (t) => {
  t.same(parseHeaders(['A: 1', 'b:2', 'X-Empty:', 'C:  spaced  out ']), [
    ['A', '1'],
    ['b', '2'],
    ['X-Empty', ''],
    ['C', 'spaced  out'],
  ]);
  t.same(parseHeaders(undefined), []);
  for (const bad of ['A', ': v', 'A B: c', 'A: x\r\nInjected: 1', 'A: \u0000'])
    t.throws(() => parseHeaders([bad]), UsageError, JSON.stringify(bad));
});

t.test('exit codes', async (t) => {
  const table = [
    ['healthy', 0, 0],
    ['usage', 1, 1],
    ['connect', 1, 2],
    ['request', 1, 3],
    ['unhealthy', 1, 4],
  ] as const;
  for (const [outcome, simple, detailed] of table) {
    t.equal(exitCode(outcome, false), simple, `${outcome}, simple`);
    t.equal(exitCode(outcome, true), detailed, `${outcome}, detailed`);
  }
  t.equal(new UsageError('x').code, cliCodes.USAGE);
});

t.test('gRPC addresses', async (t) => {
  t.same(parseAddress('localhost:50051'), { host: 'localhost', port: 50051 });
  t.same(parseAddress('[::1]:8080'), { host: '::1', port: 8080 });
  t.same(parseAddress('10.0.0.1:1'), { host: '10.0.0.1', port: 1 });
  for (const bad of ['localhost', ':80', 'h:0', 'h:65536', 'h:80/x', '::1:80', 'http://h:80'])
    t.throws(() => parseAddress(bad), UsageError, bad);
});

t.test('protobuf: HealthCheckRequest and HealthCheckResponse', async (t) => {
  t.same([...frame(encodeCheckRequest(''))], [0, 0, 0, 0, 0], 'the empty service is an empty message');
  t.same([...frame(encodeCheckRequest('api'))], [0, 0, 0, 0, 5, 0x0a, 3, 0x61, 0x70, 0x69]);
  const long = frame(encodeCheckRequest('s'.repeat(200)));
  t.same([...long.subarray(0, 8)], [0, 0, 0, 0, 203, 0x0a, 0xc8, 0x01], 'a two-byte varint length');
  const framed = (bytes: number[]) => Buffer.from([0, 0, 0, 0, bytes.length, ...bytes]);
  t.equal(decodeCheckResponse(firstMessage(framed([0x08, 0x01]))), 1, 'SERVING');
  t.equal(decodeCheckResponse(firstMessage(framed([]))), 0, 'absent = UNKNOWN');
  t.equal(
    decodeCheckResponse(firstMessage(framed([0x12, 0x02, 0x68, 0x69, 0x08, 0x02, 0x1d, 1, 2, 3, 4]))),
    2,
    'unknown fields skipped',
  );
  t.equal(statusName(3), 'SERVICE_UNKNOWN');
  t.equal(statusName(9), 'status 9');
  t.throws(() => firstMessage(Buffer.from([1, 0, 0, 0, 0])), /compressed/);
  t.throws(() => firstMessage(Buffer.from([0, 0, 0, 0, 9, 1])), /truncated/);
  t.throws(() => firstMessage(Buffer.alloc(0)), /no response message/);
  t.throws(() => decodeCheckResponse(Buffer.from([0x08])), /truncated varint/);
  t.equal(decodeCheckResponse(Buffer.from([0x0b, 0x08, 0x02, 0x0c, 0x08, 0x01])), 1, 'a group is skipped');
  t.throws(() => decodeCheckResponse(Buffer.from([0x0f])), /wire type 7/);
});

t.test('the event-stream parser', async (t) => {
  const p = new SseParser();
  const feed = (s: string) => p.push(Buffer.from(s));
  t.same(feed('\uFEFF: heartbeat\n\n'), [], 'a comment dispatches nothing (BOM dropped)');
  t.same(feed('data: {"a"'), []);
  t.same(feed(':1}\n\n'), [{ type: 'message', data: '{"a":1}', id: undefined }], 'an event across chunks');
  t.same(
    feed('event: ping\ndata:x\r\ndata: y\r\n\r\n'),
    [{ type: 'ping', data: 'x\ny', id: undefined }],
    'named, CRLF, two data lines',
  );
  t.same(feed('id: 7\ndata: z\r'), []);
  t.same(feed('\n\n'), [{ type: 'message', data: 'z', id: '7' }], 'CR then LF across chunks is one line break');
  t.same(feed('retry: 3000\nretry: soon\n\n'), [], 'retry alone is no event');
  t.equal(p.retryMs, 3000);
  const split = Buffer.from('data: é\n\n');
  const q = new SseParser();
  t.same(q.push(split.subarray(0, 7)), []);
  t.same(q.push(split.subarray(7)), [{ type: 'message', data: 'é', id: undefined }], 'a UTF-8 character split across chunks');
});

t.test('probe bodies, read leniently', async (t) => {
  const body = parseHealthBody(
    JSON.stringify({
      status: 'fail',
      reason: 'shutting\ndown',
      checks: { db: { status: 'pass', durationMs: 3, since: '2030-01-01T00:00:00.000Z' }, bad: 5 },
    }),
  );
  t.equal(body?.status, 'fail');
  t.equal(body?.reason, 'shutting down');
  t.same([...(body?.checks.keys() ?? [])], ['db'], 'a check that is not an object is dropped');
  t.equal(body?.checks.get('db')?.since, Date.UTC(2030, 0, 1));
  const draft = parseHealthBody(
    JSON.stringify({ status: 'pass', checks: { 'db:responseTime': [{ status: 'pass', observedValue: 4, observedUnit: 'ms' }] } }),
  );
  t.equal(draft?.checks.get('db')?.durationMs, 4, 'the health+json draft shape');
  t.equal(parseHealthBody('OK'), undefined);
  t.equal(parseHealthBody('[1]'), undefined);
  t.equal(oneLine('a\u001b[31m\r\nb\tc   d'), 'a b c d');
  t.equal(oneLine('x'.repeat(10), 5), 'xxxx…');
  t.equal(capBytes('short\n'), 'short\n');
  t.ok(Buffer.byteLength(capBytes('é'.repeat(5000))) <= 4000);
});

t.test('the watch model: what changed', async (t) => {
  const url = 'http://h/ready';
  const answer = (at: number, status: string, db: string, statusCode = 200): Update => ({
    at,
    mode: 'poll',
    statusCode,
    accepted: statusCode < 400,
    latencyMs: 2,
    body: parseHealthBody(JSON.stringify({ status, checks: { db: { status: db } } })),
  });
  let s = initialState(url, 0);
  let r = applyUpdate(s, answer(1000, 'pass', 'pass'));
  t.same(
    r.changes.map((c) => [c.check, c.from, c.to]),
    [
      [undefined, 'waiting', 'pass'],
      ['db', undefined, 'pass'],
    ],
  );
  t.equal(r.state.changedAt, undefined, 'the first answer is not highlighted');
  s = r.state;
  r = applyUpdate(s, answer(2000, 'pass', 'pass'));
  t.same(r.changes, [], 'the same answer again: no change');
  r = applyUpdate(r.state, answer(3000, 'fail', 'fail', 503));
  t.same(
    r.changes.map((c) => [c.check, c.from, c.to]),
    [
      [undefined, 'pass', 'fail'],
      ['db', 'pass', 'fail'],
    ],
  );
  t.equal(r.state.checks[0]?.changedAt, 3000);
  t.equal(r.state.since, 3000);
  r = applyUpdate(r.state, { at: 4000, error: 'connect ECONNREFUSED' });
  t.same(
    r.changes.map((c) => [c.from, c.to, c.detail]),
    [['fail', 'down', 'connect ECONNREFUSED']],
  );
  t.equal(r.state.checks.length, 1, 'the last checks stay, shown greyed out');
  t.same(applyUpdate(r.state, { at: 5000, error: 'connect ECONNREFUSED' }).changes, [], 'the same error again: no change');
  const plain = applyUpdate(initialState(url, 0), {
    at: 1,
    mode: 'poll',
    statusCode: 503,
    accepted: false,
    latencyMs: 1,
    body: undefined,
  });
  t.equal(plain.state.status, 'fail', 'no JSON: the HTTP code decides');
  t.equal(
    changeLine(r.changes[0] ?? { url, check: undefined, from: undefined, to: 'x', detail: undefined }, Date.UTC(2030, 0, 1)),
    `2030-01-01T00:00:00.000Z ${url} fail -> down: connect ECONNREFUSED`,
  );
});

t.test('the table fits the terminal', async (t) => {
  const now = Date.UTC(2030, 0, 1, 12);
  let s = initialState('http://127.0.0.1:3000/ready', now - 60_000);
  const checks: Record<string, { status: string; output?: string }> = {};
  for (let i = 0; i < 40; i++) checks[`check-${i}`] = { status: i === 3 ? 'fail' : 'pass', output: 'o'.repeat(300) };
  s = applyUpdate(s, {
    at: now - 5000,
    mode: 'sse',
    statusCode: undefined,
    accepted: true,
    latencyMs: undefined,
    body: parseHealthBody(JSON.stringify({ status: 'fail', checks })),
  }).state;
  const lines = renderTable([s], { now, width: 80, height: 20, color: false, source: 'poll 1s' });
  t.equal(lines.length, 20, 'as many lines as the terminal has rows');
  t.ok(
    lines.every((l) => l.length <= 80),
    'none wider than the terminal',
  );
  t.match(lines.at(-1), /^… 24 more rows/, '43 rows: 19 shown, 24 hidden');
  t.match(lines[2], /^ {2}http:\/\/127\.0\.0\.1:3000\/ready +FAIL/);
  const coloured = renderTable([s], { now, width: 80, height: 50, color: true, source: 'poll 1s' });
  t.ok(coloured.some((l) => l.includes('\u001b[31mfail')));
  t.equal(age(59_999), '59s');
  t.equal(age(61_000), '1m01s');
  t.equal(age(3_600_000 * 3 + 60_000 * 5), '3h05m');
  t.equal(age(86_400_000 * 2), '2d0h');
  t.equal(watchUrl(new URL('http://h/ready')).href, 'http://h/ready?watch');
  t.equal(watchUrl(new URL('http://h/ready?exclude=db')).href, 'http://h/ready?exclude=db&watch');
});

// probekit/consul options: the register body built from them, Go durations, the backoff, and every bad option
// rejected at creation with a coded InvalidOptionError naming the option and the value.
import t from 'tap';
import { retryDelay } from '../../src/consul/backoff.js';
import { formatGoDuration, parseGoDuration } from '../../src/consul/duration.js';
import { type ConsulRegistrationOptions, consulRegistration } from '../../src/consul/index.js';
import { normalizeConsulOptions } from '../../src/consul/options.js';
import { InvalidOptionError } from '../../src/core/errors.js';
import { quietHealth } from './helpers.js';

const base = (): ConsulRegistrationOptions => ({
  service: { name: 'web', port: 3000 },
  check: { http: '/ready', interval: '10s', timeout: '2s', deregisterCriticalServiceAfter: '1m' },
});

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

t.test('the register body: Name, ID, Address, Port, Tags, Meta and the Check, durations in Go format', async (t) => {
  const input = deepFreeze({
    agent: 'http://consul.local:8500/',
    token: 'tok',
    service: { name: 'web', id: 'web-1', address: '10.0.0.7', port: 3000, tags: ['v1', 'blue'], meta: { version: '1.2.3' } },
    check: { http: '/ready', interval: 10_000, timeout: 1500, deregisterCriticalServiceAfter: 90_000 },
  });
  // Frozen all the way down: normalising never writes to the caller's objects.
  const cfg = normalizeConsulOptions(input);
  t.same(JSON.parse(cfg.registerBody), {
    ID: 'web-1',
    Name: 'web',
    Tags: ['v1', 'blue'],
    Address: '10.0.0.7',
    Port: 3000,
    Meta: { version: '1.2.3' },
    Check: { HTTP: 'http://10.0.0.7:3000/ready', Interval: '10s', Timeout: '1500ms', DeregisterCriticalServiceAfter: '90s' },
  });
  t.equal(cfg.agent, 'http://consul.local:8500');
  t.equal(cfg.serviceId, 'web-1');
  t.equal(cfg.token, 'tok');
  t.match(cfg, { requestTimeout: 5000, initialDelay: 1000, maxDelay: 30_000 });
  t.ok(Object.isFrozen(cfg));
});

t.test('defaults: the agent on 127.0.0.1:8500, ID = Name, a check path on 127.0.0.1, strings sent as written', async (t) => {
  const cfg = normalizeConsulOptions(base());
  t.equal(cfg.agent, 'http://127.0.0.1:8500');
  t.same(JSON.parse(cfg.registerBody), {
    ID: 'web',
    Name: 'web',
    Port: 3000,
    Check: { HTTP: 'http://127.0.0.1:3000/ready', Interval: '10s', Timeout: '2s', DeregisterCriticalServiceAfter: '1m' },
  });
  t.equal(cfg.token, undefined);
});

t.test('check targets: an IPv6 address in brackets, a full URL as is, a gRPC target', async (t) => {
  const v6 = normalizeConsulOptions({ ...base(), service: { name: 'web', address: '::1', port: 80 } });
  t.equal(JSON.parse(v6.registerBody).Check.HTTP, 'http://[::1]:80/ready');
  const url = normalizeConsulOptions({ ...base(), check: { ...base().check, http: 'https://web.internal:8443/ready?x=1' } });
  t.equal(JSON.parse(url.registerBody).Check.HTTP, 'https://web.internal:8443/ready?x=1');
  const { http: _http, ...rest } = base().check;
  const grpc = normalizeConsulOptions({ ...base(), check: { ...rest, grpc: '127.0.0.1:50051/shop.Orders' } });
  t.same(JSON.parse(grpc.registerBody).Check, {
    GRPC: '127.0.0.1:50051/shop.Orders',
    Interval: '10s',
    Timeout: '2s',
    DeregisterCriticalServiceAfter: '1m',
  });
  const bare = normalizeConsulOptions({ ...base(), check: { ...rest, grpc: '[::1]:50051' } });
  t.equal(JSON.parse(bare.registerBody).Check.GRPC, '[::1]:50051');
});

t.test('Go durations: parse and format', async (t) => {
  const parsed: [string, number | undefined][] = [
    ['10s', 10_000],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['.5s', 500],
    ['2h', 7_200_000],
    ['250us', 0.25],
    ['1µs', 0.001],
    ['1000000ns', 1],
    ['', undefined],
    ['0s', undefined],
    ['10', undefined],
    ['10 s', undefined],
    ['-1s', undefined],
    ['1d', undefined],
    ['s', undefined],
    [`${'1s'.repeat(40)}`, undefined],
  ];
  for (const [text, ms] of parsed) t.equal(parseGoDuration(text), ms, JSON.stringify(text));
  const formatted: [number, string][] = [
    [1, '1ms'],
    [500, '500ms'],
    [1500, '1500ms'],
    [10_000, '10s'],
    [90_000, '90s'],
    [60_000, '1m'],
    [3_600_000, '1h'],
    [5_400_000, '90m'],
  ];
  for (const [ms, text] of formatted) {
    t.equal(formatGoDuration(ms), text, `${ms} ms`);
    t.equal(parseGoDuration(text), ms, `${text} reads back`);
  }
});

t.test('backoff: exponential from initialDelay, capped at maxDelay, equal jitter, never 0', async (t) => {
  const low = () => 0;
  const high = () => 1;
  t.same(
    [1, 2, 3, 4, 5, 6, 7].map((n) => retryDelay(n, 1000, 30_000, high)),
    [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000],
  );
  t.same(
    [1, 2, 3, 6].map((n) => retryDelay(n, 1000, 30_000, low)),
    [500, 1000, 2000, 15_000],
  );
  t.equal(retryDelay(10_000, 1000, 30_000, high), 30_000, 'thousands of failures stay at the cap');
  t.equal(retryDelay(1, 1, 1, low), 1, 'never 0');
  for (let i = 0; i < 100; i++) {
    const d = retryDelay(3, 100, 10_000);
    t.ok(d >= 200 && d <= 400, `jittered within [base/2, base]: ${d}`);
  }
});

type Case = [string, (o: ConsulRegistrationOptions) => unknown, RegExp];
const set =
  (path: string, value: unknown) =>
  (o: ConsulRegistrationOptions): unknown => {
    const copy = structuredClone(o) as unknown as Record<string, Record<string, unknown>>;
    const [a, b] = path.split('.') as [string, string | undefined];
    if (b === undefined) (copy as Record<string, unknown>)[a] = value;
    else copy[a] = { ...copy[a], [b]: value };
    return copy;
  };

const cases: Case[] = [
  ['options not an object', () => null, /Expected options to be an object, got `null`/],
  ['unknown option', set('servce', {}), /Unknown option `servce`/],
  ['unknown service option', set('service.nmae', 'x'), /Unknown option `service.nmae`/],
  ['unknown check option', set('check.intervall', '1s'), /Unknown option `check.intervall`/],
  ['unknown retry option', set('retry', { initial: 1 }), /Unknown option `retry.initial`/],
  ['service missing', set('service', undefined), /Expected `service` to be an object, got `undefined`/],
  ['check missing', set('check', undefined), /Expected `check` to be an object, got `undefined`/],
  ['name missing', set('service.name', undefined), /Expected `service.name` .*got `undefined`/],
  ['name with a space', set('service.name', 'my web'), /Expected `service.name` .*got `"my web"`/],
  ['id with a slash', set('service.id', 'web/1'), /Expected `service.id` .*got `"web\/1"`/],
  ['port 0', set('service.port', 0), /Expected `service.port` to be an integer from 1 to 65535, got `0`/],
  ['port 65536', set('service.port', 65_536), /got `65536`/],
  ['port as a string', set('service.port', '3000'), /Expected `service.port` .*got `"3000"`/],
  ['port 1.5', set('service.port', 1.5), /Expected `service.port` .*got `1.5`/],
  ['empty address', set('service.address', ''), /Expected `service.address` to be a host name or IP address, got `""`/],
  ['address with a space', set('service.address', 'a b'), /Expected `service.address`/],
  ['address in brackets', set('service.address', '[::1]'), /Expected `service.address`/],
  ['tags not an array', set('service.tags', 'v1'), /Expected `service.tags` .*got `"v1"`/],
  ['an empty tag', set('service.tags', ['v1', '']), /Expected `service.tags` .*got `\["v1",""\]`/],
  ['meta not an object', set('service.meta', ['a']), /Expected `service.meta` to be an object of strings, got `\["a"\]`/],
  ['meta key with a dot', set('service.meta', { 'a.b': 'x' }), /Expected `service.meta` .*got `"a.b"`/],
  ['meta key consul-', set('service.meta', { 'consul-x': 'x' }), /not starting with `consul-`.*got `"consul-x"`/],
  ['meta value not a string', set('service.meta', { v: 1 }), /Expected `service.meta.v` to be a string .*got `1`/],
  [
    'meta of 65 keys',
    set('service.meta', Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']))),
    /at most 64 keys, got `"65 keys"`/,
  ],
  ['http and grpc', set('check.grpc', '127.0.0.1:50051'), /Expected exactly one of `check.http` and `check.grpc`/],
  ['neither http nor grpc', set('check.http', undefined), /Expected exactly one of `check.http` and `check.grpc`/],
  [
    'http without a slash',
    set('check.http', 'ready'),
    /Expected `check.http` to be a path starting with `\/` or an http\(s\) URL, got `"ready"`/,
  ],
  ['http protocol-relative', set('check.http', '//evil/ready'), /Expected `check.http` .*got `"\/\/evil\/ready"`/],
  ['http ftp URL', set('check.http', 'ftp://x/ready'), /Expected `check.http` .*got `"ftp:\/\/x\/ready"`/],
  ['http with a space', set('check.http', '/re ady'), /Expected `check.http`/],
  ['interval 0', set('check.interval', 0), /Expected `check.interval` to be a positive duration.*got `0`/],
  ['interval negative', set('check.interval', -5), /Expected `check.interval` .*got `-5`/],
  ['interval without a unit', set('check.interval', '10'), /Expected `check.interval` .*got `"10"`/],
  ['interval in days', set('check.interval', '1d'), /Expected `check.interval` .*got `"1d"`/],
  ['interval missing', set('check.interval', undefined), /Expected `check.interval` .*got `undefined`/],
  ['timeout = interval', set('check.timeout', '10s'), /Expected `check.timeout` to be < `check.interval` \(10s\), got `10s`/],
  ['timeout missing', set('check.timeout', undefined), /Expected `check.timeout` .*got `undefined`/],
  ['dereg missing', set('check.deregisterCriticalServiceAfter', undefined), /Expected `check.deregisterCriticalServiceAfter`/],
  [
    'dereg 1.5 ms as a number',
    set('check.deregisterCriticalServiceAfter', 1.5),
    /Expected `check.deregisterCriticalServiceAfter` .*got `1.5`/,
  ],
  ['agent ftp', set('agent', 'ftp://127.0.0.1:8500'), /Expected `agent` to be an http\(s\) URL .*got `"ftp:\/\/127.0.0.1:8500"`/],
  ['agent not a URL', set('agent', '127.0.0.1:8500'), /Expected `agent` .*got `"127.0.0.1:8500"`/],
  [
    'agent with a query',
    set('agent', 'http://127.0.0.1:8500/?dc=x'),
    /Expected `agent` .*got `"http:\/\/127.0.0.1:8500\/\?dc=x"`/,
  ],
  [
    'agent with credentials',
    set('agent', 'http://user:hunter2@127.0.0.1:8500'),
    /Expected `agent` to be a URL without credentials \(pass `token`\), got `"\*\*\*"`/,
  ],
  ['token empty', set('token', ''), /Expected `token` .*got `"\*\*\*"`/],
  ['token with a newline', set('token', 'abc\ndef'), /Expected `token` .*got `"\*\*\*"`/],
  ['token a number', set('token', 5), /Expected `token` .*got `5`/],
  [
    'requestTimeout 0',
    set('requestTimeout', 0),
    /Expected `requestTimeout` to be a positive integer <= 2147483647 \(ms\), got `0`/,
  ],
  ['initialDelay 0', set('retry', { initialDelay: 0 }), /Expected `retry.initialDelay` .*got `0`/],
  [
    'maxDelay < initialDelay',
    set('retry', { initialDelay: 500, maxDelay: 100 }),
    /Expected `retry.maxDelay` to be >= `retry.initialDelay` \(500\), got `100`/,
  ],
  [
    'timers without now',
    set('timers', { setTimeout() {}, clearTimeout() {} }),
    /Expected `timers` to be an object with setTimeout/,
  ],
];

for (const [title, make, message] of cases) {
  t.test(`rejected at creation: ${title}`, async (t) => {
    const { health } = quietHealth(t);
    const options = make(base()) as ConsulRegistrationOptions;
    t.throws(() => consulRegistration(health, options), {
      name: 'InvalidOptionError',
      code: 'PROBEKIT_ERR_OPTION_INVALID',
      message,
    });
  });
}

t.test('no secret in any message: the token and URL credentials never show', async (t) => {
  for (const options of [set('token', 'hunter2\n')(base()), set('agent', 'http://u:hunter2@h:1')(base())]) {
    try {
      normalizeConsulOptions(options);
      t.fail('should throw');
    } catch (err) {
      t.type(err, InvalidOptionError);
      t.notMatch((err as Error).message, /hunter2/);
    }
  }
});

t.test('a registry is required', async (t) => {
  for (const bad of [undefined, null, {}, { on() {} }]) {
    t.throws(() => consulRegistration(bad as never, base()), {
      code: 'PROBEKIT_ERR_OPTION_INVALID',
      message: /Expected `health`/,
    });
  }
});

t.test('close() rejects bad options with a coded error', async (t) => {
  const { health } = quietHealth(t);
  const reg = consulRegistration(health, { ...base(), agent: 'http://127.0.0.1:1' });
  await t.rejects(reg.close({ deregister: 'yes' } as never), {
    code: 'PROBEKIT_ERR_OPTION_INVALID',
    message: /`deregister`.*"yes"/,
  });
  await t.rejects(reg.close({ force: true } as never), {
    code: 'PROBEKIT_ERR_OPTION_INVALID',
    message: /Unknown option `force`/,
  });
  await t.rejects(reg.close(null as never), { code: 'PROBEKIT_ERR_OPTION_INVALID' });
  await reg.close();
  t.equal(reg.state, 'closed');
});

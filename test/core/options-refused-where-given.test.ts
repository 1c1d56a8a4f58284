// Every bad option is rejected where it is given, at creation or registration (never on a later run), with a coded
// InvalidOptionError (never a bare TypeError) whose message names the option and the value: createHealth(), every
// check factory, the Fastify plugin, the Express router and the Health methods.
import Fastify from 'fastify';
import t from 'tap';
import { commandCheck } from '../../plugins/command.js';
import { eventLoopCheck } from '../../plugins/event-loop.js';
import { httpCheck } from '../../plugins/http.js';
import { kafkaCheck, kafkaConsumerCheck } from '../../plugins/kafka.js';
import { mysqlCheck } from '../../plugins/mysql.js';
import { postgresCheck } from '../../plugins/postgres.js';
import { redisCheck } from '../../plugins/redis.js';
import { tcpCheck } from '../../plugins/tcp.js';
import { codes, InvalidOptionError } from '../../src/core/errors.js';
import type { Check } from '../../src/core/types.js';
import { probekitExpress } from '../../src/express/index.js';
import probekit from '../../src/fastify/index.js';
import { createHealth } from '../../src/health.js';
import { recordingLogger } from '../helpers/logger.js';

/** What every rejection must look like; `message` names the option (and the value, where there is one to show). */
const invalid = (message: RegExp) => ({ name: 'InvalidOptionError', code: codes.INVALID_OPTION, message });
/** A valid registry that leaves no signal listener behind. */
const quiet = { logger: recordingLogger(), shutdown: false as const };
const url = 'http://127.0.0.1:1/';

// [description, the call, what its message must match]
const registry: [string, () => unknown, RegExp][] = [
  ['logger an empty object', () => createHealth({ shutdown: false, logger: {} as never }), /`logger`.*without `info`/],
  [
    'logger without debug',
    () => createHealth({ shutdown: false, logger: { info() {}, warn() {}, error() {} } as never }),
    /`logger`.*without `debug`$/,
  ],
  ['closeTimeout 2**31', () => createHealth({ ...quiet, closeTimeout: 2 ** 31 }), /`closeTimeout`.*`2147483648`/],
  ['closeTimeout 0', () => createHealth({ ...quiet, closeTimeout: 0 }), /`closeTimeout`.*`0`/],
  ['closeTimeout 1.5', () => createHealth({ ...quiet, closeTimeout: 1.5 }), /`closeTimeout`.*`1\.5`/],
  ['closeTimeout a string', () => createHealth({ ...quiet, closeTimeout: '5000' as never }), /`closeTimeout`.*5000/],
  [
    'signals SIGKILL',
    () => createHealth({ logger: quiet.logger, shutdown: { signals: ['SIGKILL'] } }),
    /`shutdown\.signals`.*SIGKILL/,
  ],
  [
    'signals SIGSTOP',
    () => createHealth({ logger: quiet.logger, shutdown: { signals: ['SIGSTOP'] } }),
    /`shutdown\.signals`.*SIGSTOP/,
  ],
  [
    'signals an unknown signal',
    () => createHealth({ logger: quiet.logger, shutdown: { signals: ['SIGFOO' as never] } }),
    /`shutdown\.signals`.*SIGFOO/,
  ],
  ['signals empty', () => createHealth({ logger: quiet.logger, shutdown: { signals: [] } }), /`shutdown\.signals`.*`\[\]`/],
  [
    'signals not an array',
    () => createHealth({ logger: quiet.logger, shutdown: { signals: 'SIGTERM' as never } }),
    /`shutdown\.signals`.*"SIGTERM"/,
  ],
  [
    'shutdown.delay 2**31',
    () => createHealth({ logger: quiet.logger, shutdown: { delay: 2 ** 31 } }),
    /`shutdown\.delay`.*2147483648/,
  ],
  [
    'shutdown with an unknown key',
    () => createHealth({ logger: quiet.logger, shutdown: { dealy: 1 } as never }),
    /`shutdown\.dealy`/,
  ],
  ['an unknown top-level key', () => createHealth({ ...quiet, chekcs: [] } as never), /`chekcs`/],
];

const http: [string, () => unknown, RegExp][] = [
  ['maxBodyBytes NaN', () => httpCheck({ url, maxBodyBytes: Number.NaN }), /`maxBodyBytes`.*`NaN`/],
  ['maxBodyBytes a string', () => httpCheck({ url, maxBodyBytes: 'big' as never }), /`maxBodyBytes`.*"big"/],
  ['maxBodyBytes -1', () => httpCheck({ url, maxBodyBytes: -1 }), /`maxBodyBytes`.*`-1`/],
  ['maxBodyBytes 0', () => httpCheck({ url, maxBodyBytes: 0 }), /`maxBodyBytes`.*`0`/],
  ['maxBodyBytes 1.5', () => httpCheck({ url, maxBodyBytes: 1.5 }), /`maxBodyBytes`.*`1\.5`/],
  ['method with a space', () => httpCheck({ url, method: 'GE T' }), /`method`.*GE T/],
  ['a header name with a space', () => httpCheck({ url, headers: { 'bad name': 'x' } }), /`headers`.*bad name/],
  ['headers a string', () => httpCheck({ url, headers: 'x' as never }), /`headers`.*"x"/],
  ['eventLoopCheck(null)', () => eventLoopCheck(null as never), /eventLoopCheck\(\).*`null`/],
  ['maxDelayMs -1', () => eventLoopCheck({ maxDelayMs: -1 }), /`maxDelayMs`.*`-1`/],
];

// Each factory with options that are valid apart from the key under test; the fakes have what validation reads.
const noop = () => {};
const factories: [string, (extra: object) => Check][] = [
  ['tcpCheck', (extra) => tcpCheck({ host: '127.0.0.1', port: 1, ...extra })],
  ['httpCheck', (extra) => httpCheck({ url, ...extra })],
  ['eventLoopCheck', (extra) => eventLoopCheck({ ...extra })],
  ['commandCheck', (extra) => commandCheck({ command: 'true', ...extra })],
  ['redisCheck', (extra) => redisCheck({ client: { status: 'ready', ping: async () => 'PONG' }, ...extra })],
  ['mysqlCheck', (extra) => mysqlCheck({ pool: { query: async () => [[], []] } as never, ...extra })],
  ['postgresCheck', (extra) => postgresCheck({ pool: { query: async () => ({ rows: [] }) } as never, ...extra })],
  ['kafkaCheck', (extra) => kafkaCheck({ admin: { describeCluster: async () => ({ brokers: [] }) } as never, ...extra })],
  ['kafkaConsumerCheck', (extra) => kafkaConsumerCheck({ consumer: { on: () => noop, events: {} } as never, ...extra })],
];
const bareFactories: [string, (options: unknown) => Check][] = [
  ['tcpCheck', (o) => tcpCheck(o as never)],
  ['httpCheck', (o) => httpCheck(o as never)],
  ['eventLoopCheck', (o) => eventLoopCheck(o as never)],
  ['commandCheck', (o) => commandCheck(o as never)],
  ['redisCheck', (o) => redisCheck(o as never)],
  ['mysqlCheck', (o) => mysqlCheck(o as never)],
  ['postgresCheck', (o) => postgresCheck(o as never)],
  ['kafkaCheck', (o) => kafkaCheck(o as never)],
  ['kafkaConsumerCheck', (o) => kafkaConsumerCheck(o as never)],
];

t.test('createHealth: bad logger, closeTimeout and shutdown options, unknown keys', async (t) => {
  for (const [what, fn, message] of registry) t.throws(fn, invalid(message), what);
});

t.test('httpCheck and eventLoopCheck: bad values', async (t) => {
  for (const [what, fn, message] of http) t.throws(fn, invalid(message), what);
});

t.test('httpCheck: a header value with CR/LF is refused without showing the value', async (t) => {
  const err = t.throws(
    () => httpCheck({ url, headers: { authorization: 'Bearer abc\r\nX-Evil: 1' } }),
    invalid(/`headers\.authorization`/),
  );
  t.type(err, InvalidOptionError);
  t.notMatch((err as Error).message, /abc/, 'the token is not in the message');
  t.notMatch((err as Error).message, /X-Evil/, 'nor the injected header');
});

t.test('every factory: a misspelt option is named; null or an array as options is refused', async (t) => {
  for (const [name, make] of factories) {
    t.ok(make({}), `${name}: the options without the typo are valid`);
    t.throws(() => make({ intervl: 100 }), invalid(new RegExp(`^${name}\\(\\).*\`intervl\``)), `${name}: intervl`);
  }
  for (const [name, make] of bareFactories) {
    t.throws(() => make(null), invalid(new RegExp(`^${name}\\(\\).*null`)), `${name}(null)`);
    t.throws(() => make([]), invalid(new RegExp(`^${name}\\(\\).*(array|\\[\\])`)), `${name}([])`);
  }
});

t.test('Fastify: bad plugin options make app.ready() reject', async (t) => {
  const cases: [string, object, RegExp][] = [
    ['health not a Health', { health: {} }, /`health`/],
    ['an unknown plugin option', { detials: 'always' }, /`detials`/],
    ['prefix without a slash', { prefix: 'x' }, /`prefix`.*"x"/],
    ['a path without a slash', { paths: { ready: 'ready' } }, /`paths\.ready`.*"ready"/],
    ['details neither never, always nor a function', { details: 'sometimes' }, /`details`.*sometimes/],
  ];
  for (const [what, opts, message] of cases) {
    const app = Fastify({ logger: false });
    app.register(probekit, { shutdown: false, ...opts } as never);
    await t.rejects(
      async () => {
        await app.ready();
      },
      invalid(message),
      what,
    );
    await app.close();
  }
});

t.test('Express: a missing Health or null options are refused', async (t) => {
  const health = createHealth(quiet);
  t.throws(() => probekitExpress({} as never), invalid(/`health`/), 'not a Health');
  t.throws(() => probekitExpress(health, null as never), invalid(/options.*`null`/), 'null options');
  await health.close();
});

t.test('Health methods: bad arguments are refused at the call', async (t) => {
  const health = createHealth(quiet);
  t.throws(() => health.attach({} as never), invalid(/`server`/), 'attach() without a server');
  t.throws(() => health.onShutdown('x' as never), invalid(/function.*`"x"`/), 'onShutdown() without a function');
  t.throws(
    () => health.addDrainTarget({} as never),
    invalid(/addDrainTarget.*drain\(\), destroy\(\) and openWork\(\)/),
    'addDrainTarget() with {}',
  );
  t.throws(() => health.hold(''), invalid(/`reason`.*`""`/), "hold('')");
  await health.close();
});

t.test('the valid forms still work', async (t) => {
  const health = createHealth({ logger: quiet.logger, shutdown: { signals: ['SIGUSR2'] } });
  t.ok(health, "shutdown: { signals: ['SIGUSR2'] }");
  const before = process.listenerCount('SIGUSR2');
  await health.close();
  t.equal(process.listenerCount('SIGUSR2'), before, 'no signal listener left (never started)');
  const check = httpCheck({ url, headers: { authorization: 'Bearer abc' }, maxBodyBytes: 1 });
  t.equal(check.name, 'http', 'httpCheck with a normal authorization header and maxBodyBytes: 1');
  const withCheck = createHealth({ ...quiet, checks: [check] });
  t.same(withCheck.checkNames, ['http'], 'and it registers');
  await withCheck.close();
  t.ok(eventLoopCheck({ maxDelayMs: 1 }), 'eventLoopCheck({ maxDelayMs: 1 })');
  // The Fastify plugin with good options still becomes ready.
  const app = Fastify({ logger: false });
  app.register(probekit, { shutdown: false, prefix: '/health', paths: { ready: '/ready' }, details: 'always' });
  await app.ready();
  t.equal((await app.inject('/health/ready')).statusCode, 200);
  await app.close();
});

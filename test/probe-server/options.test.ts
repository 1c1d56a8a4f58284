// Bad `probeServer` and `overload` options are refused at once with an InvalidOptionError naming the option, by
// createHealth() and by the Fastify plugin; good ones pass through the plugin.
import Fastify from 'fastify';
import t from 'tap';
import probekit from '../../src/fastify/index.js';
import { createHealth, HealthCore, InvalidOptionError } from '../../src/index.js';
import { recordingLogger } from '../helpers/logger.js';
import { get, probeBase } from './helpers.js';

const BAD: [string, unknown, RegExp][] = [
  ['not an object', 9000, /probeServer/],
  ['no port', {}, /probeServer\.port/],
  ['a negative port', { port: -1 }, /probeServer\.port.*-1/],
  ['a port past 65535', { port: 70000 }, /probeServer\.port/],
  ['a port as a string', { port: '9000' }, /probeServer\.port.*"9000"/],
  ['an empty host', { port: 0, host: '' }, /probeServer\.host/],
  ['maxBlockMs 0', { port: 0, maxBlockMs: 0 }, /probeServer\.maxBlockMs.*0/],
  ['maxBlockMs below the heartbeat', { port: 0, maxBlockMs: 100 }, /probeServer\.maxBlockMs/],
  ['maxBlockMs not an integer', { port: 0, maxBlockMs: 1500.5 }, /probeServer\.maxBlockMs/],
  ['details as a function', { port: 0, details: () => true }, /probeServer\.details.*thread/],
  ['details unknown', { port: 0, details: 'sometimes' }, /probeServer\.details/],
  ['an unknown key', { port: 0, maxWatchers: 5 }, /probeServer\.maxWatchers/],
  ['a bad path', { port: 0, paths: { live: 'live' } }, /probeServer: .*paths\.live/],
  ['an unknown probe path', { port: 0, paths: { health: '/h' } }, /probeServer: .*paths\.health/],
  ['a bad prefix', { port: 0, prefix: 'health/' }, /probeServer: .*prefix/],
  ['a bad status code', { port: 0, statusCodes: { warn: 99 } }, /probeServer: .*statusCodes\.warn/],
];

const BAD_OVERLOAD: [string, unknown, RegExp][] = [
  ['not an object', 200, /overload/],
  ['no limit', {}, /overload\.maxEventLoopDelayMs/],
  ['a zero limit', { maxEventLoopDelayMs: 0 }, /overload\.maxEventLoopDelayMs.*0/],
  ['NaN', { maxEventLoopDelayMs: Number.NaN }, /overload\.maxEventLoopDelayMs.*NaN/],
  ['a string', { maxEventLoopDelayMs: '200' }, /overload\.maxEventLoopDelayMs/],
  ['an unknown key', { maxEventLoopDelayMs: 200, p: 99 }, /overload\.p/],
];

t.test('createHealth refuses bad probeServer options', async (t) => {
  for (const [name, probeServer, message] of BAD) {
    t.throws(() => createHealth({ probeServer: probeServer as never, logger: recordingLogger() }), InvalidOptionError, name);
    t.throws(() => createHealth({ probeServer: probeServer as never, logger: recordingLogger() }), { message }, `${name}: named`);
  }
});

t.test('createHealth refuses bad overload options', async (t) => {
  for (const [name, overload, message] of BAD_OVERLOAD) {
    t.throws(
      () => createHealth({ overload: overload as never, logger: recordingLogger() }),
      { name: 'InvalidOptionError', message },
      name,
    );
  }
  const off = createHealth({ overload: false, logger: recordingLogger() });
  t.equal(off.evaluate('ready'), 'fail', '`false` is off (not started yet: startup not complete)');
  await off.stop();
});

t.test('the Fastify plugin refuses them too, and passes good ones through', async (t) => {
  const bad = Fastify({ logger: false });
  bad.register(probekit, { probeServer: { port: -1 } });
  await t.rejects(
    async () => {
      await bad.ready();
    },
    InvalidOptionError,
    'a bad probeServer makes ready() reject',
  );
  const overload = Fastify({ logger: false });
  overload.register(probekit, { overload: { maxEventLoopDelayMs: -5 } });
  await t.rejects(
    async () => {
      await overload.ready();
    },
    InvalidOptionError,
    'a bad overload makes ready() reject',
  );
  const shared = Fastify({ logger: false });
  shared.register(probekit, { health: createHealth({ logger: recordingLogger() }), probeServer: { port: 0 } });
  await t.rejects(
    async () => {
      await shared.ready();
    },
    { message: /probeServer.*createHealth/ },
    'probeServer with a given health',
  );

  const app = Fastify({ logger: false });
  await app.register(probekit, { probeServer: { port: 0, host: '127.0.0.1' }, overload: { maxEventLoopDelayMs: 500 } });
  await app.ready();
  t.teardown(() => app.close());
  const probe = await probeBase(app.health);
  t.equal((await get(probe, '/live')).statusCode, 200, 'the plugin started the probe server');
  await app.close();
  await t.rejects(get(probe, '/live'), { code: 'ECONNREFUSED' }, 'app.close() closed it');
});

t.test('the HTTP-free HealthCore refuses probeServer rather than serve nothing', async (t) => {
  t.throws(() => new HealthCore({ probeServer: { port: 0 }, shutdown: false }), {
    name: 'InvalidOptionError',
    message: /probeServer.*createHealth/,
  });
});

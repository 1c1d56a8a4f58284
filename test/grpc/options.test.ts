// Options of grpcHealth() and setService(): validated once, with messages naming the option and the value.
import t from 'tap';
import { grpcHealth } from '../../src/grpc/index.js';
import { normalizeGrpcOptions } from '../../src/grpc/options.js';
import { codes, createHealth, type Health } from '../../src/index.js';
import { recordingLogger } from '../helpers/logger.js';

function health(): Health {
  return createHealth({ shutdown: false, logger: recordingLogger() });
}

t.test('bad options throw an InvalidOptionError naming the option', async (t) => {
  const cases: [string, unknown, RegExp][] = [
    ['not an object', 'x', /Expected options to be an object, got `"x"`/],
    ['unknown key', { service: {} }, /Unknown option `service`/],
    ['services is an array', { services: [] }, /Expected `services` to be an object, got `\[\]`/],
    ['a bad probe', { services: { a: 'alive' } }, /Expected `services\["a"\]` to be 'live', 'ready', 'startup' or a list/],
    ['a number', { services: { a: 3 } }, /got `3`/],
    ['a list with a non-string', { services: { a: ['db', 1] } }, /got `\["db",1\]`/],
    ['a list with an empty name', { services: { a: [''] } }, /got `\[""\]`/],
    ['the whole server redefined', { services: { '': ['db'] } }, /not to redefine the built-in service name `""`/],
    ['readiness redefined', { services: { readiness: 'live' } }, /built-in service name `"readiness"`/],
    ['liveness redefined', { services: { liveness: 'live' } }, /built-in service name `"liveness"`/],
    ['startup redefined', { services: { startup: 'startup' } }, /built-in service name `"startup"`/],
    ['a very long name', { services: { ['x'.repeat(201)]: 'ready' } }, /at most 200 characters/],
  ];
  for (const [what, options, message] of cases) {
    t.throws(() => normalizeGrpcOptions(options), { name: 'InvalidOptionError', code: codes.INVALID_OPTION, message }, what);
  }
});

t.test('valid options: probes and check lists, in the order given, as new frozen objects', async (t) => {
  const checks = ['mysql', 'kafka', 'mysql'];
  const input = { services: { 'shop.Orders': checks, 'shop.Live': 'live' as const, 'shop.Boot': 'startup' as const } };
  const out = normalizeGrpcOptions(input);
  t.same([...out.keys()], ['shop.Orders', 'shop.Live', 'shop.Boot']);
  t.same(out.get('shop.Orders'), { probe: 'ready', checks: ['mysql', 'kafka'] }, 'a list follows readiness, deduplicated');
  t.same(out.get('shop.Live'), { probe: 'live', checks: undefined });
  t.same(out.get('shop.Boot'), { probe: 'startup', checks: undefined });
  t.ok(Object.isFrozen(out.get('shop.Orders')?.checks));
  t.same(checks, ['mysql', 'kafka', 'mysql'], "the caller's array is untouched");
  t.same(normalizeGrpcOptions(undefined).size, 0);
  t.same(normalizeGrpcOptions({}).size, 0);
  t.same(normalizeGrpcOptions({ services: { empty: [] } }).get('empty'), { probe: 'ready', checks: [] }, 'only the gates');
});

t.test('grpcHealth() validates its registry and options at once', async (t) => {
  t.throws(() => grpcHealth({} as Health), { name: 'InvalidOptionError', message: /Expected `health` to be a Health/ });
  t.throws(() => grpcHealth(null as unknown as Health), { name: 'InvalidOptionError' });
  const h = health();
  t.throws(() => grpcHealth(h, { services: { a: 'nope' as 'live' } }), { name: 'InvalidOptionError' });
  const g = grpcHealth(h, { services: { 'a.B': ['db'] } });
  t.same(g.serviceNames, ['', 'liveness', 'readiness', 'startup', 'a.B'], 'built-in names first');
});

t.test('setService() validates like the options and names itself', async (t) => {
  const g = grpcHealth(health());
  t.throws(() => g.setService('', 'live'), { name: 'InvalidOptionError', message: /Expected `setService` not to redefine/ });
  t.throws(() => g.setService('x', 'dead' as 'live'), { message: /Expected `setService\["x"\]`/ });
  t.throws(() => g.setService(7 as unknown as string, 'live'), { message: /service name in `setService` to be a string/ });
  t.equal(g.setService('x', ['db']), g, 'chains');
  t.equal(g.removeService('liveness'), false, 'built-in names stay');
  t.equal(g.removeService('x'), true);
  t.equal(g.removeService('x'), false, 'absent');
});

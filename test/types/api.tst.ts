import Fastify from 'fastify';
import { expect, test } from 'tstyche';
import { mysqlCheck, mysqlPoolCheck } from '../../plugins/mysql.js';
import { postgresPoolCheck } from '../../plugins/postgres.js';
import { redisCheck } from '../../plugins/redis.js';
import probekit from '../../src/fastify/index.js';
import {
  type Check,
  type CheckDetails,
  createHealth,
  type Health,
  type HealthSnapshot,
  type ProbeResponse,
} from '../../src/index.js';

test('a check is a plain object; run may resolve nothing or CheckDetails', () => {
  expect<Check>().type.toBeAssignableFrom({ name: 'db', run: async () => {} });
  expect<Check>().type.toBeAssignableFrom({ name: 'db', run: async (): Promise<CheckDetails> => ({ observedValue: 1 }) });
  expect<Check>().type.not.toBeAssignableFrom({ name: 'db' });
  expect<Check>().type.not.toBeAssignableFrom({ name: 'db', run: async () => {}, probes: ['readiness'] });
  expect<Check>().type.not.toBeAssignableFrom({ name: 'db', run: async () => {}, interval: '5s' });
  expect<Check>().type.toBeAssignableFrom({ name: 'db', run: async () => {}, jitter: 0.2 });
  expect<Check>().type.not.toBeAssignableFrom({ name: 'db', run: async () => {}, jitter: '10%' });
});

test('createHealth returns a Health with the documented API', () => {
  const health = createHealth({ shutdown: false });
  expect(health).type.toBe<Health>();
  expect(health.hold('warming')).type.toBe<() => void>();
  expect(health.snapshot()).type.toBe<HealthSnapshot>();
  expect(health.report('ready')).type.toBe<ProbeResponse>();
  expect(health.report).type.not.toBeCallableWith('healthz');
});

test('the Fastify plugin types its options and decorates app.health', async () => {
  const app = Fastify();
  await app.register(probekit, { checks: [], details: (request) => request.ip === '127.0.0.1', prefix: '/health' });
  expect(app.health).type.toBe<Health>();
  expect(app.register).type.not.toBeCallableWith(probekit, { details: 'sometimes' });
});

test('dependency checks take the app client and the common options', () => {
  expect(mysqlCheck).type.not.toBeCallableWith({});
  expect(redisCheck).type.not.toBeCallableWith({ client: 42 });
  expect(mysqlCheck({ pool: {} as never, interval: 10_000, critical: false })).type.toBe<Check>();
});

test('the pool checks need the pool and a connect function', () => {
  expect(mysqlPoolCheck).type.not.toBeCallableWith({ pool: {} as never });
  expect(postgresPoolCheck).type.not.toBeCallableWith({ pool: {} as never, connect: 'postgres://db' });
  expect(mysqlPoolCheck({ pool: {} as never, connect: () => ({}) as never, poolTimeout: 500 })).type.toBe<Check>();
  expect(postgresPoolCheck({ pool: {} as never, connect: async () => ({}) as never })).type.toBe<Check>();
});

// A dependency check from a factory, registered for /live, is warned about once at registration; readiness, checks
// built by hand, eventLoopCheck and the pool checks are not. Nothing connects: the clients are lazy and never used.
import { Redis } from 'ioredis';
import { Kafka } from 'kafkajs';
import mysql from 'mysql2/promise';
import pg from 'pg';
import t from 'tap';
import { commandCheck } from '../../plugins/command.js';
import { eventLoopCheck } from '../../plugins/event-loop.js';
import { httpCheck } from '../../plugins/http.js';
import { kafkaCheck } from '../../plugins/kafka.js';
import { mysqlCheck, mysqlPoolCheck } from '../../plugins/mysql.js';
import { postgresCheck, postgresPoolCheck } from '../../plugins/postgres.js';
import { redisCheck } from '../../plugins/redis.js';
import { tcpCheck } from '../../plugins/tcp.js';
import type { Check, Probe } from '../../src/core/types.js';
import { createHealth } from '../../src/health.js';
import { recordingLogger } from '../helpers/logger.js';

const pool = mysql.createPool({ host: '127.0.0.1', port: 1, connectionLimit: 1 });
const pgPool = new pg.Pool({ host: '127.0.0.1', port: 1 });
const redis = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true });
const kafka = new Kafka({ brokers: ['127.0.0.1:1'] });
t.teardown(async () => {
  await pool.end();
  await pgPool.end();
  redis.disconnect();
});

/** Every factory the warning covers, building its check for `probes`. */
const factories: Record<string, (probes: Probe[]) => Check> = {
  mysqlCheck: (probes) => mysqlCheck({ pool, probes }),
  postgresCheck: (probes) => postgresCheck({ pool: pgPool, probes }),
  redisCheck: (probes) => redisCheck({ client: redis, probes }),
  kafkaCheck: (probes) => kafkaCheck({ kafka, probes }),
  httpCheck: (probes) => httpCheck({ url: 'http://127.0.0.1:1/', probes }),
  tcpCheck: (probes) => tcpCheck({ host: '127.0.0.1', port: 1, probes }),
  commandCheck: (probes) => commandCheck({ command: 'true', probes }),
};

function warnings(register: (health: ReturnType<typeof createHealth>) => void) {
  const logger = recordingLogger();
  const health = createHealth({ logger, shutdown: false });
  register(health);
  return logger.entries.filter((e) => e.level === 'warn');
}

for (const [factory, build] of Object.entries(factories)) {
  t.test(`${factory} on live: one warning naming the check, pointing to the pool checks and the docs`, async (t) => {
    const check = { ...build(['live']), name: 'x' } as Check;
    const mark = Symbol.for('probekit.dependency');
    const built = build(['live']);
    t.equal((built as unknown as Record<symbol, unknown>)[mark], factory, 'marked with the factory name');
    t.notOk(Object.prototype.propertyIsEnumerable.call(built, mark), 'not enumerable');
    const warned = warnings((h) => h.register(build(['live', 'ready'])));
    t.equal(warned.length, 1, 'exactly one warning');
    const name = build(['live']).name;
    t.match(warned[0], {
      obj: { check: name, factory },
      msg: new RegExp(`check ${name} \\(${factory}\\) .*/live.*mysqlPoolCheck / postgresPoolCheck.*What belongs in each probe`),
    });
    t.same(
      warnings((h) => h.register(build(['ready']))),
      [],
      'on ready: none',
    );
    t.same(
      warnings((h) => h.register(check)),
      [],
      'a copy made by hand is a check built by hand',
    );
  });
}

t.test('registry defaults that put a factory check on live count too', async (t) => {
  const logger = recordingLogger();
  createHealth({ logger, shutdown: false, defaults: { probes: ['live'] }, checks: [tcpCheck({ host: '127.0.0.1', port: 1 })] });
  t.equal(logger.entries.filter((e) => e.level === 'warn').length, 1);
});

t.test('not warned: a hand-built check, eventLoopCheck, the pool checks', async (t) => {
  const connect = () => {
    throw new Error('never called');
  };
  const warned = warnings((h) => {
    h.register({ name: 'hand', probes: ['live'], run: async () => {} });
    h.register(eventLoopCheck());
    h.register(mysqlPoolCheck({ pool, connect }));
    h.register(postgresPoolCheck({ pool: pgPool, connect }));
  });
  t.same(warned, []);
});

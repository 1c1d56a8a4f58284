// Smoke test of the integration servers (test/services): each one answers
// the real client library the health checks use.

import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import mysql from 'mysql2/promise';
import pg from 'pg';
import t from 'tap';
import { exclusive } from './helpers/exclusive.js';
import { ALL_SERVERS, SERVICES, skipReason } from './services/services.js';

// The shared servers it uses are its alone while it runs: test/helpers/exclusive.ts.
await exclusive('mariadb', 'redis', 'postgres', 'kafka');

// A first run on a fresh machine installs packages and downloads Kafka.
t.setTimeout(20 * 60_000);

const reason = await skipReason(ALL_SERVERS);
if (reason !== undefined) {
  t.plan(0, reason);
} else {
  t.test('mariadb answers mysql2', async (t) => {
    const conn = await mysql.createConnection({ ...SERVICES.mariadb, connectTimeout: 5000 });
    t.teardown(() => conn.end());
    const [rows] = await conn.query('SELECT 1 AS one');
    t.same(rows, [{ one: 1 }]);
  });

  t.test('redis answers ioredis', async (t) => {
    const redis = new Redis({ ...SERVICES.redis, lazyConnect: true, maxRetriesPerRequest: 1 });
    t.teardown(() => redis.disconnect());
    await redis.connect();
    t.equal(await redis.ping(), 'PONG');
  });

  t.test('postgres answers pg', async (t) => {
    const client = new pg.Client({ ...SERVICES.postgres, connectionTimeoutMillis: 5000 });
    await client.connect();
    t.teardown(() => client.end());
    const res = await client.query<{ one: number }>('SELECT 1 AS one');
    t.equal(res.rows[0]?.one, 1);
  });

  t.test('kafka answers kafkajs', async (t) => {
    const kafka = new Kafka({
      clientId: 'probekit-services-test',
      brokers: [...SERVICES.kafka.brokers],
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    t.teardown(() => admin.disconnect());
    const cluster = await admin.describeCluster();
    t.equal(cluster.brokers.length, 1);
    t.same(cluster.brokers[0], { nodeId: 1, host: '127.0.0.1', port: 19092 });
  });
}

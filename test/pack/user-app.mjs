// A user's app, run against the packed tarball (not the work tree): every subpath, ESM and require().
import { createRequire } from 'node:module';
import Fastify from 'fastify';
import { createHealth, InvalidOptionError } from 'probekit';
import { commandCheck } from 'probekit/command';
import { eventLoopCheck } from 'probekit/event-loop';
import { probekitExpress } from 'probekit/express';
import probekit from 'probekit/fastify';
import { httpCheck } from 'probekit/http';
import { kafkaCheck, kafkaConsumerCheck } from 'probekit/kafka';
import { mysqlCheck } from 'probekit/mysql';
import { postgresCheck } from 'probekit/postgres';
import { redisCheck } from 'probekit/redis';
import { tcpCheck } from 'probekit/tcp';

const require = createRequire(import.meta.url);
const cjs = require('probekit');
const out = {
  esm: [
    createHealth,
    commandCheck,
    eventLoopCheck,
    probekitExpress,
    probekit,
    httpCheck,
    kafkaCheck,
    kafkaConsumerCheck,
    mysqlCheck,
    postgresCheck,
    redisCheck,
    tcpCheck,
  ].map((f) => typeof f),
  cjs: typeof cjs.createHealth,
};
try {
  createHealth({ checks: [{ name: 'Bad Name', run: async () => {} }], shutdown: false });
} catch (err) {
  out.invalid = err instanceof InvalidOptionError;
}
const app = Fastify();
await app.register(probekit, { shutdown: false, checks: [eventLoopCheck(), { name: 'db', run: async () => {} }] });
await app.ready();
for (let i = 0; i < 50 && (await app.inject('/ready')).statusCode !== 200; i++) await new Promise((r) => setTimeout(r, 20));
const res = await app.inject('/ready');
out.ready = res.statusCode;
out.body = res.json();
await app.close();
process.stdout.write(JSON.stringify(out));

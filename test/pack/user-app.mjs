// A user's app, run against the packed tarball (not the work tree): every subpath, ESM and require().
import { createRequire } from 'node:module';
import Fastify from 'fastify';
import { createHealth, InvalidOptionError } from 'probekit';
import { commandCheck } from 'probekit/command';
import { eventLoopCheck } from 'probekit/event-loop';
import { probekitExpress } from 'probekit/express';
import probekit from 'probekit/fastify';
import { grpcHealth } from 'probekit/grpc';
import { httpCheck } from 'probekit/http';
import { kafkaCheck, kafkaConsumerCheck } from 'probekit/kafka';
import { mysqlCheck, mysqlPoolCheck } from 'probekit/mysql';
import { postgresCheck, postgresPoolCheck } from 'probekit/postgres';
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
    grpcHealth,
    httpCheck,
    kafkaCheck,
    kafkaConsumerCheck,
    mysqlCheck,
    mysqlPoolCheck,
    postgresCheck,
    postgresPoolCheck,
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
// probekit/grpc on app.health, asked by grpc-js's own client (the request and answer bytes by hand: no proto here).
const grpc = await import('@grpc/grpc-js');
const server = new grpc.Server();
grpcHealth(app.health).addToServer(server);
const port = await new Promise((ok, ko) =>
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? ko(e) : ok(p))),
);
const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
const id = (b) => b;
const answer = await new Promise((ok) =>
  client.makeUnaryRequest('/grpc.health.v1.Health/Check', id, id, Buffer.alloc(0), (e, r) => ok(e ? e.code : [...r])),
);
out.grpc = JSON.stringify(answer) === '[8,1]' ? 'SERVING' : answer;
client.close();
server.forceShutdown();
await app.close();
process.stdout.write(JSON.stringify(out));

// An app for the gRPC shutdown tests, run as a child process: a gRPC server with probekit's health service and a
// method of its own (`/test.Slow/Wait`, answers after the number of ms in its request), either beside a Fastify app
// (MODE=fastify, one registry for both) or alone (MODE=grpc-only, no HTTP at all). Logs its ports as JSON.
import * as grpc from '@grpc/grpc-js';
import Fastify from 'fastify';
import probekit from '../../src/fastify/index.js';
import { grpcHealth } from '../../src/grpc/index.js';
import { createHealth, type Health } from '../../src/index.js';

const env = process.env;
const shutdown = { delay: Number(env.SHUTDOWN_DELAY ?? 0), timeout: Number(env.SHUTDOWN_TIMEOUT ?? 25_000) };
const checks = [{ name: 'db', run: async () => {}, interval: 1000 }];
const services = { 'shop.Orders': ['db'] };

const identity = (b: Buffer) => b;
const SLOW: grpc.ServiceDefinition = {
  Wait: {
    path: '/test.Slow/Wait',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

async function grpcServer(health: Health): Promise<number> {
  const server = new grpc.Server();
  server.addService(SLOW, {
    Wait: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      health.logger.info({ ms: Number(call.request.toString() || 0) }, 'slow call started');
      setTimeout(() => cb(null, Buffer.from('done')), Number(call.request.toString() || 0));
    },
  });
  grpcHealth(health, { services }).addToServer(server);
  return new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
  );
}

if (env.MODE !== 'grpc-only' && env.MODE !== 'fastify') {
  // Not a test: `tap test/grpc/` runs every file of the directory, and this one would listen forever.
  process.stderr.write('test/grpc/fixture-app.ts: started by shutdown.test.ts with MODE=fastify|grpc-only\n');
} else if (env.MODE === 'grpc-only') {
  const health = createHealth({ checks, shutdown });
  const grpcPort = await grpcServer(health);
  health.start();
  health.logger.info({ grpcPort }, 'fixture listening');
} else {
  const app = Fastify({ logger: { level: 'info' } });
  await app.register(probekit, { checks, shutdown });
  const grpcPort = await grpcServer(app.health);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const httpPort = (app.server.address() as { port: number }).port;
  app.log.info({ grpcPort, httpPort }, 'fixture listening');
}

// The gRPC demo: `npm run demo:grpc`. One registry answers the HTTP probes (Fastify, port 3000) and the gRPC health
// service of a small gRPC app (shop.Orders, port 50051). Then try
//   grpc-health-probe -addr=127.0.0.1:50051                        (exit 0: SERVING; the whole server follows /ready)
//   grpc-health-probe -addr=127.0.0.1:50051 -service=shop.Orders   (follows the `upstream` check only)
//   grpc-health-probe -addr=127.0.0.1:50051 -service=liveness      (follows /live)
//   curl -X POST localhost:3000/demo/upstream/down   (after 3 failed runs: /ready 503, '' and shop.Orders NOT_SERVING)
//   curl -X POST localhost:3000/demo/upstream/up
//   kill -TERM <pid>   (NOT_SERVING at once, the Watch streams end with OK after shutdown.delay, then the exit)
// The demo watches its own `shop.Orders` status with grpc-js's client and logs every message it gets.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import Fastify from 'fastify';
import { service as healthService } from 'grpc-health-check';
import { eventLoopCheck } from 'probekit/event-loop';
import probekit from 'probekit/fastify';
import { grpcHealth } from 'probekit/grpc';
import { httpCheck } from 'probekit/http';

let upstreamHealthy = true;
const upstream = createServer((_req, res) => {
  res.writeHead(upstreamHealthy ? 200 : 500, { 'content-type': 'text/plain' }).end(upstreamHealthy ? 'ok' : 'down');
});
await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/health`;

const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'info' } });
await app.register(probekit, {
  checks: [
    eventLoopCheck({ maxDelayMs: 500, interval: 1000 }),
    httpCheck({ name: 'upstream', url: upstreamUrl, expectBody: 'ok', interval: 1000, timeout: 500 }),
  ],
  shutdown: {
    delay: Number(process.env.SHUTDOWN_DELAY ?? 2000),
    timeout: Number(process.env.SHUTDOWN_TIMEOUT ?? 25_000),
  },
});

// The app's own gRPC service; JSON on the wire keeps the demo free of a .proto of its own.
const json = {
  serialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer) => JSON.parse(bytes.toString() || '{}'),
};
const orders: grpc.ServiceDefinition = {
  Get: {
    path: '/shop.Orders/Get',
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
};
const server = new grpc.Server();
server.addService(orders, {
  Get: (call: grpc.ServerUnaryCall<{ id?: string }, object>, callback: grpc.sendUnaryData<object>) => {
    callback(null, { id: call.request.id ?? '1', status: 'shipped' });
  },
});
// The health service of the same registry as the HTTP probes: '' follows /ready, shop.Orders the upstream check.
grpcHealth(app.health, { services: { 'shop.Orders': ['upstream'] } }).addToServer(server);

const grpcAddress = `${process.env.GRPC_HOST ?? '127.0.0.1'}:${process.env.GRPC_PORT ?? 50051}`;
const grpcPort = await new Promise<number>((resolve, reject) =>
  server.bindAsync(grpcAddress, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
);

app.post('/demo/upstream/down', async () => {
  upstreamHealthy = false;
  return { upstream: 'down' };
});
app.post('/demo/upstream/up', async () => {
  upstreamHealthy = true;
  return { upstream: 'up' };
});
app.addHook('onClose', async () => {
  upstream.close();
});
await app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' });
app.log.info({ grpcPort }, `gRPC health on 127.0.0.1:${grpcPort}: try grpc-health-probe -addr=127.0.0.1:${grpcPort}`);

// A Watch client, as a load balancer or a service mesh would run one.
const Health = grpc.makeClientConstructor(healthService, 'grpc.health.v1.Health');
const watcher = new Health(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
  watch(request: { service: string }): grpc.ClientReadableStream<{ status: string }>;
};
const stream = watcher.watch({ service: 'shop.Orders' });
stream.on('data', (m: { status: string }) => app.log.info({ service: 'shop.Orders', status: m.status }, 'demo: Watch message'));
stream.on('status', (s: grpc.StatusObject) => {
  app.log.info({ code: grpc.status[s.code] }, 'demo: Watch stream ended (a real client would call Watch again)');
  watcher.close();
});
stream.on('error', () => {});

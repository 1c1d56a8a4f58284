// The app the manifests in this folder assume: deployment.yaml (HTTP probes on port 3000), deployment-grpc.yaml (the
// kubelet's native gRPC probe on port 50051), haproxy.cfg and consul-service.json (both poll /ready). Every number
// comes from settings.ts, which test/recipes/kubernetes.test.ts checks against the manifests.
//   INVENTORY_URL=http://127.0.0.1:8080/healthz npx tsx examples/kubernetes/app.ts
// No preStop hook is needed with it: on SIGTERM, `/ready` fails at once and the app keeps serving for
// `shutdown.delay` by itself, then drains both servers, runs the cleanup hooks and exits within `shutdown.timeout`.
import * as grpc from '@grpc/grpc-js';
import Fastify from 'fastify';
import { eventLoopCheck } from 'probekit/event-loop';
import probekit from 'probekit/fastify';
import { grpcHealth } from 'probekit/grpc';
import { httpCheck } from 'probekit/http';
import { CHECKS, GRPC_PORT, HTTP_PORT, SHUTDOWN } from './settings.js';

const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'info' } });
await app.register(probekit, {
  checks: [
    eventLoopCheck(CHECKS.eventLoop),
    // Critical and readiness-only: while inventory is down this pod takes no traffic, and it is never restarted for it.
    httpCheck({ ...CHECKS.inventory, url: process.env.INVENTORY_URL ?? 'http://inventory/healthz' }),
  ],
  shutdown: SHUTDOWN,
});
app.get('/orders/:id', async (request) => ({ id: (request.params as { id: string }).id, status: 'shipped' }));

// The gRPC health service of the same registry: '' follows /ready, 'liveness' follows /live, 'startup' /startup.
// A real app serves its own gRPC services on this server too; the shutdown drains it with the HTTP server.
const grpcServer = new grpc.Server();
grpcHealth(app.health).addToServer(grpcServer);
await new Promise<number>((resolve, reject) =>
  grpcServer.bindAsync(`0.0.0.0:${GRPC_PORT}`, grpc.ServerCredentials.createInsecure(), (err, port) =>
    err ? reject(err) : resolve(port),
  ),
);

await app.listen({ port: HTTP_PORT, host: '0.0.0.0' });

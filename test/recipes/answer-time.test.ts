// The answer time behind the `timeout` rule of examples/kubernetes: a real app with the example's checks (settings.ts),
// probed over a new connection per probe as the kubelet does, over HTTP (prober.ts) and gRPC (the kubelet's native
// probe, test/grpc/kubelet.ts). The slowest answer must leave the event-loop check's `maxDelayMs` inside every
// probe's `timeoutSeconds`, in both manifests.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import Fastify from 'fastify';
import t from 'tap';
import * as settings from '../../examples/kubernetes/settings.js';
import { eventLoopCheck } from '../../plugins/event-loop.js';
import { httpCheck } from '../../plugins/http.js';
import { probekit } from '../../src/fastify/index.js';
import { grpcHealth } from '../../src/grpc/index.js';
import { kubeletProbe } from '../grpc/kubelet.js';
import { recordingLogger } from '../helpers/logger.js';
import { waitFor } from '../helpers/wait.js';
import { kubeletHttpProbe } from '../kubelet/prober.js';
import { readDeployment } from './rules.js';

const read = (name: string) => readFileSync(new URL(`../../examples/kubernetes/${name}`, import.meta.url), 'utf8');

t.test('the answer time: probes answer well inside timeoutSeconds minus the event-loop budget', async (t) => {
  const upstream = createServer((_req, res) => {
    res.end('ok');
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  t.teardown(() => upstream.close());
  const app = Fastify({ logger: false });
  await app.register(probekit, {
    checks: [
      eventLoopCheck(settings.CHECKS.eventLoop),
      httpCheck({ ...settings.CHECKS.inventory, url: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/` }),
    ],
    shutdown: false,
    logger: recordingLogger(),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  const grpcServer = new grpc.Server();
  grpcHealth(app.health).addToServer(grpcServer);
  const grpcPort = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  t.teardown(() => grpcServer.forceShutdown());
  await waitFor(() => app.health.evaluate('ready') === 'pass', 'the app to be ready', 10_000);

  const port = (app.server.address() as AddressInfo).port;
  const slowest: Record<string, number> = {};
  const failed: string[] = [];
  // A fresh connection per probe, as the kubelet makes; the slowest of many, so a GC pause counts. The client shares
  // the app's event loop, so its own work counts too. A few probes first, not counted: a process's very first
  // answers pay for compiling the route, and the first startup probe has failureThreshold tries to spare for that.
  for (const path of ['/startup', '/ready', '/live']) for (let i = 0; i < 5; i++) await kubeletHttpProbe({ port, path });
  for (const path of ['/startup', '/ready', '/live']) {
    let max = 0;
    for (let i = 0; i < 100; i++) {
      const o = await kubeletHttpProbe({ port, path });
      if (o.result !== 'success') failed.push(`${path}: ${o.output}`);
      max = Math.max(max, o.elapsedMs);
    }
    slowest[path] = max;
  }
  for (const service of ['startup', '', 'liveness']) for (let i = 0; i < 3; i++) await kubeletProbe({ port: grpcPort, service });
  for (const service of ['startup', '', 'liveness']) {
    let max = 0;
    for (let i = 0; i < 20; i++) {
      const o = await kubeletProbe({ port: grpcPort, service });
      if (o.result !== 'success') failed.push(`gRPC ${JSON.stringify(service)}: ${o.output}`);
      max = Math.max(max, o.elapsedMs);
    }
    slowest[`grpc ${JSON.stringify(service)}`] = max;
  }
  t.same(failed, [], 'every probe passed');
  t.comment(`slowest answers (ms): ${JSON.stringify(slowest, (_k, v) => (typeof v === 'number' ? Math.round(v * 10) / 10 : v))}`);
  for (const file of ['deployment.yaml', 'deployment-grpc.yaml']) {
    const { pod } = readDeployment(read(file));
    const answer = Math.max(
      ...Object.entries(slowest)
        .filter(([k]) => k.startsWith('grpc') === file.includes('grpc'))
        .map(([, v]) => v),
    );
    for (const k of ['startup', 'readiness', 'liveness'] as const) {
      const budget = pod[k].timeout - settings.CHECKS.eventLoop.maxDelayMs;
      t.ok(answer < budget, `${file} ${k}: the slowest answer ${answer.toFixed(1)} ms < ${budget} ms left of timeoutSeconds`);
    }
  }
});

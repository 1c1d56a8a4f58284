// Rolling restarts behind a layer-4 balancer (HAProxy `mode tcp`, as kube-proxy) with `http.Agent({ keepAlive: true })` keep-alive clients,
// 800 requests/s over 20 connections: no request fails on Fastify, Express (attach) or node:http (attach with
// serveProbes), and each SIGTERMed instance exits 0 before `shutdown.timeout`. The same with the other client kind
// is in the sibling file; they are split so that each stays within about a minute.
import t from 'tap';
import { exclusive } from '../helpers/exclusive.js';
import { skipReason } from '../services/services.js';
import { rollingRestarts } from '../shutdown/rollout.js';

// Real load on the machine: one such file at a time (see test/helpers/exclusive.ts).
await exclusive('load');

const reason = await skipReason(['haproxy']);
if (reason) t.plan(0, reason);

for (const framework of reason ? [] : (['fastify', 'express', 'node'] as const)) {
  t.test(`${framework}: 3 rollouts under keep-alive load lose no request`, (t) =>
    rollingRestarts(t, { framework, kind: 'agent', rollouts: 3, rate: 800, connections: 20, delay: 2000, timeout: 10_000 }),
  );
}

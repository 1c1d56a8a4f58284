// Rolling restarts behind a layer-4 balancer, as kube-proxy does it: HAProxy in `mode tcp` health-checks GET /ready
// every second, takes a backend out at its first failed check (it then opens no new connection to it but keeps the
// ones it has, like conntrack), and keep-alive clients send a steady paced load through it. A rollout: SIGTERM the
// oldest instance, wait for its exit, put a replacement in its slot, wait until HAProxy has it UP.
import type { Test } from 'tap';
import { frontConfig, startHaproxy, until } from './haproxy.js';
import { type ClientKind, startLoad, window } from './load.js';
import { type App, freePort, startApp } from './proc.js';

const FIXTURE = 'test/shutdown/fixture-app.ts';

export interface RolloutOptions {
  framework: 'fastify' | 'express' | 'node';
  kind: ClientKind;
  rollouts: number;
  rate: number;
  connections: number;
  /** `shutdown.delay`: HAProxy must see the 503 (inter 1 s, fall 1) before the drain. */
  delay: number;
  /** `shutdown.timeout`. */
  timeout: number;
}

interface Rollout {
  signalledAt: number;
  exitedAt: number;
  code: number | string;
  /** Ms from SIGTERM to HAProxy's DOWN, and to the app's drain log line. */
  downMs: number;
  drainMs: number | undefined;
  /** Ms from SIGTERM to the end of the drain (every connection closed). */
  drainedMs: number | undefined;
  /** Ms from SIGTERM to the sequence's last log line. */
  completeMs: number | undefined;
  /** Connections still open when the drain began (idle ones are closed then: the one remaining race). */
  openAtDrain: unknown;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `rollouts` rolling restarts under load; asserts no request failed and each instance exited 0 in time. */
export async function rollingRestarts(t: Test, o: RolloutOptions): Promise<void> {
  const env = {
    FRAMEWORK: o.framework,
    // Express with the probekit router, the server attached for the drain (node:http covers serveProbes).
    EXPRESS_ROUTER: '1',
    SHUTDOWN_DELAY: String(o.delay),
    SHUTDOWN_TIMEOUT: String(o.timeout),
    LOG_LEVEL: 'info',
  };
  const apps: App[] = [];
  t.teardown(() => {
    for (const a of apps) a.kill();
  });
  const start = async () => {
    const app = await startApp(FIXTURE, env);
    apps.push(app);
    return app;
  };
  const slots = { a: await start(), b: await start() };
  const front = await freePort();
  const haproxy = await startHaproxy(
    frontConfig('tcp', front, { a: `127.0.0.1:${slots.a.port}`, b: `127.0.0.1:${slots.b.port}` }, 'inter 1s fall 1 rise 1'),
  );
  t.teardown(() => haproxy.stop());
  const isUp = (name: 'a' | 'b') => async () => ((await haproxy.states())[name] === 'UP' ? true : undefined);
  await until('both backends UP', 20_000, async () => ((await isUp('a')()) && (await isUp('b')()) ? true : undefined));

  const load = startLoad({ port: front, kind: o.kind, rate: o.rate, connections: o.connections });
  const done: Rollout[] = [];
  try {
    // The replacement starts (tsx compiles it) while the load runs; HAProxy only learns of it once the old one exited.
    let spare = start();
    await sleep(1000);
    for (let i = 0; i < o.rollouts; i++) {
      // The oldest instance: after the first rollout it holds every keep-alive connection.
      const name = i % 2 === 0 ? 'a' : 'b';
      const old = slots[name];
      const signalledAt = Date.now();
      old.child.kill('SIGTERM');
      const downAt = await until(`HAProxy marks ${name} DOWN`, 10_000, async () =>
        (await haproxy.states())[name]?.startsWith('DOWN') ? Date.now() : undefined,
      );
      const code = await old.exited(o.timeout + 5000);
      const exitedAt = Date.now();
      const logged = (msg: string) => {
        const line = old.lines.find((l) => l.msg === msg);
        return typeof line?.time === 'number' ? line.time - signalledAt : undefined;
      };
      done.push({
        signalledAt,
        exitedAt,
        code,
        downMs: downAt - signalledAt,
        drainMs: logged('probekit: shutdown delay over, draining connections'),
        drainedMs: logged('probekit: connections drained'),
        completeMs: logged('probekit: shutdown complete, exit code 0'),
        openAtDrain: old.lines.find((l) => l.msg === 'fixture: connections open when the drain began')?.openAtDrain,
      });
      const next = await spare;
      slots[name] = next;
      await haproxy.command(`set server be/${name} addr 127.0.0.1 port ${next.port}`);
      await until(`HAProxy marks the replacement ${name} UP`, 10_000, isUp(name));
      if (i + 1 < o.rollouts) spare = start();
      await sleep(500);
    }
  } finally {
    await load.stop();
  }

  const end = Date.now() - load.startedAt + 1;
  let failed = 0;
  let sent = 0;
  done.forEach((r, i) => {
    const from = r.signalledAt - load.startedAt;
    const to = i + 1 < done.length ? (done[i + 1] as Rollout).signalledAt - load.startedAt : end;
    const w = window(load, from, to);
    failed += w.failed.length;
    sent += w.sent;
    const errors = w.failed.map((f) => `${f.at - from} ms: ${f.error ?? `HTTP ${f.status}`}`);
    t.comment(
      `rollout ${i + 1}: ${w.failed.length} failed of ${w.sent}; DOWN after ${r.downMs} ms, drain at ${String(r.drainMs)} ms, ${String(r.openAtDrain)} connections open then, drained at ${String(r.drainedMs)} ms, complete at ${String(r.completeMs)} ms, exit ${String(r.code)} after ${r.exitedAt - r.signalledAt} ms${errors.length > 0 ? `; ${errors.join(' | ')}` : ''}`,
    );
    // Not a speed assert: the load must have kept going through the shutdown for the rollout to test anything.
    const during = window(load, from, r.exitedAt - load.startedAt).sent;
    t.ok(during >= 100, `rollout ${i + 1}: requests kept coming from SIGTERM to exit (${during})`);
    t.equal(r.code, 0, `rollout ${i + 1}: the instance exited 0`);
    t.ok(r.exitedAt - r.signalledAt < o.timeout, `rollout ${i + 1}: it exited before shutdown.timeout (${o.timeout} ms)`);
  });
  const seconds = (end - 1) / 1000;
  t.comment(
    `${o.framework}, ${o.kind}: ${load.sentAt.length} requests in ${seconds.toFixed(1)} s (${Math.round(load.sentAt.length / seconds)}/s), ${failed} of ${sent} failed during the rollouts`,
  );
  t.same(
    load.failed.slice(0, 10),
    [],
    `no failed request over ${o.rollouts} rollouts (${load.failed.length} of ${load.sentAt.length})`,
  );
  t.equal(load.ok, load.sentAt.length, 'every request answered 200');
}

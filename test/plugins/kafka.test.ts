// kafkaCheck and kafkaConsumerCheck against a real Kafka broker (test/services), from a Fastify app's point of view.
import { EventEmitter } from 'node:events';
import { connect } from 'node:net';
import kafkajs, { type Admin, type Consumer, type Kafka as KafkaClient } from 'kafkajs';
import t from 'tap';
import { kafkaCheck, kafkaConsumerCheck } from '../../plugins/kafka.js';
import { CheckFailedError, CheckTimeoutError, InvalidOptionError } from '../../src/core/errors.js';
import type { TransitionEvent } from '../../src/core/types.js';
import { exclusive } from '../helpers/exclusive.js';
import { get, probeLoad, ready, rejectionSpy, startApp, waitFor, waitForReady, watchRuns } from '../helpers/integration.js';
import { SERVICES, skipReason, startService, stopService } from '../services/services.js';
import { type Proxy as CountingProxy, startProxy } from './silent-server.js';

// The shared servers it uses are its alone while it runs: test/helpers/exclusive.ts.
await exclusive('kafka');

const { Kafka, logLevel } = kafkajs;
const BROKERS = [...SERVICES.kafka.brokers];
const [HOST, PORT] = (BROKERS[0] as string).split(':') as [string, string];
// Kafka's first connect takes longer than a database's: larger interval and timeout.
const CFG = { interval: 2000, timeout: 1500, failureThreshold: 2 } as const;
const FAIL_WITHIN = CFG.interval * CFG.failureThreshold + CFG.timeout + 4000;
const TOPIC = 'probekit-check';

/**
 * A kafkajs client the way the check's TSDoc advises, except `requestTimeout`: it is above the check's timeout here
 * so that a hung broker is seen as the check's own timeout (and the check's admin replacement is exercised).
 * With `proxy`, every connection (seed and brokers alike) goes through it, so it sees all the traffic.
 */
function client(proxy?: CountingProxy): KafkaClient {
  return new Kafka({
    clientId: 'probekit-test',
    brokers: BROKERS,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 1000,
    requestTimeout: 5000,
    ...(proxy && {
      socketFactory: ({ onConnect }) => connect({ host: '127.0.0.1', port: proxy.port }, onConnect),
    }),
  });
}

/** A stand-in consumer: only `events` and `on`, which is all kafkaConsumerCheck uses. */
function fakeConsumer() {
  const emitter = new EventEmitter();
  const events = new Kafka({ brokers: ['127.0.0.1:1'], logLevel: logLevel.NOTHING }).consumer({ groupId: 'x' }).events;
  const consumer = {
    events,
    on(name: string, fn: (e: unknown) => void) {
      emitter.on(name, fn);
      return () => emitter.off(name, fn);
    },
  };
  const emit = (name: keyof typeof events, payload: unknown = {}, timestamp = Date.now()) =>
    emitter.emit(events[name], { id: '1', type: events[name], timestamp, payload });
  return { consumer: consumer as unknown as Consumer, emit, listeners: () => emitter.eventNames().length };
}

t.test('options', async (t) => {
  const kafka = client();
  t.equal(kafkaCheck({ kafka }).name, 'kafka');
  t.equal(kafkaCheck({ kafka, name: 'events', interval: 9000 }).interval, 9000);
  const bads = [
    undefined,
    {},
    { kafka, admin: kafka.admin() },
    { kafka: {} },
    { admin: {} },
    { kafka, minBrokers: 0 },
    { kafka, topics: 'orders' },
    { kafka, topics: [''] },
  ];
  bads.forEach((bad, i) => {
    t.throws(() => kafkaCheck(bad as never), InvalidOptionError, `bad options #${i}`);
  });
  const { consumer } = fakeConsumer();
  t.equal(kafkaConsumerCheck({ consumer }).name, 'kafka-consumer');
  t.throws(() => kafkaConsumerCheck({} as never), InvalidOptionError);
  t.throws(() => kafkaConsumerCheck({ consumer, maxHeartbeatAgeMs: 0 }), InvalidOptionError);
});

t.test('kafkaConsumerCheck follows the consumer events', async (t) => {
  const { consumer, emit, listeners } = fakeConsumer();
  const check = kafkaConsumerCheck({ consumer, maxHeartbeatAgeMs: 1000 });
  const run = () => check.run(new AbortController().signal);
  await t.rejects(run(), new CheckFailedError('consumer has not joined its group yet'));
  emit('GROUP_JOIN');
  t.match(await run(), { observedUnit: 'ms' });
  emit('HEARTBEAT', {}, Date.now() - 5000);
  await t.rejects(run(), { message: /^no heartbeat for \d+ ms \(limit 1000 ms\)$/ });
  emit('HEARTBEAT');
  await run();
  emit('CRASH', {
    error: Object.assign(new Error('The coordinator is not aware of this member'), { type: 'UNKNOWN_MEMBER_ID' }),
  });
  await t.rejects(run(), new CheckFailedError('consumer crashed: The coordinator is not aware of this member'));
  emit('HEARTBEAT');
  await t.rejects(run(), CheckFailedError, 'a crash holds until the consumer joins again');
  emit('GROUP_JOIN');
  await run();
  emit('STOP');
  await t.rejects(run(), new CheckFailedError('consumer stopped'));
  emit('DISCONNECT');
  await t.rejects(run(), new CheckFailedError('consumer disconnected'));
  t.equal(listeners(), 5);
  await check.close?.();
  t.equal(listeners(), 0, 'close removes its listeners');
});

const reason = await skipReason(['kafka']);
if (reason) {
  t.skip(reason, async () => {});
} else {
  const setup = client().admin();
  await setup.connect();
  await setup.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2 }], waitForLeaders: true });
  t.teardown(() => setup.disconnect());

  t.test('an admin of yours: topics, brokers, and it is never disconnected', async (t) => {
    const admin: Admin = client().admin();
    t.teardown(() => admin.disconnect());
    const signal = new AbortController().signal;
    const ok = kafkaCheck({ admin, topics: [TOPIC] });
    await ok.run(signal);
    await t.rejects(
      kafkaCheck({ admin, topics: ['probekit-no-such-topic'] }).run(signal),
      new CheckFailedError('topic probekit-no-such-topic not found'),
    );
    await t.rejects(
      kafkaCheck({ admin, minBrokers: 3 }).run(signal),
      new CheckFailedError('1 broker(s) in the cluster, expected at least 3'),
    );
    await ok.close?.();
    t.equal((await admin.describeCluster()).brokers.length, 1, 'still connected after close');
    const topics = await admin.listTopics();
    t.notOk(topics.includes('probekit-no-such-topic'), 'the check created no topic');
  });

  t.test('hung broker: the run times out, the admin is replaced, no pile-up', async (t) => {
    const rejections = rejectionSpy(t);
    const proxy = await startProxy({ target: { host: HOST, port: Number(PORT) }, protocol: 'kafka' });
    t.teardown(async () => {
      proxy.resume();
      await proxy.close();
    });
    const { check, log } = watchRuns(kafkaCheck({ kafka: client(proxy), topics: [TOPIC], ...CFG }));
    const { app, url, close } = await startApp(t, [check]);
    const transitions: TransitionEvent[] = [];
    app.health.on('transition', (e: TransitionEvent) => transitions.push(e));
    await waitForReady(url, 200, 15_000);
    t.equal((await ready(url)).json.checks.kafka?.status, 'pass', 'healthy broker: pass');

    const runsBefore = log.runs;
    let maxOpen = 0;
    const sampler = setInterval(() => {
      maxOpen = Math.max(maxOpen, proxy.open);
    }, 50);
    try {
      proxy.stall();
      const failMs = await waitForReady(url, 503, FAIL_WITHIN);
      t.pass(`503 ${failMs} ms after the broker hung`);
      t.equal(transitions.at(-1)?.error?.message, `timed out after ${CFG.timeout} ms`);
      t.equal((await ready(url)).json.checks.kafka?.output, `timed out after ${CFG.timeout} ms`);
      t.ok(
        log.signals.slice(runsBefore).every((s) => s.aborted && s.reason instanceof CheckTimeoutError),
        'every run against the hung broker had its signal aborted by the timeout',
      );
      t.equal((await get(`${url}/hello`, 1000)).status, 200, 'the app keeps serving other routes');
    } finally {
      clearInterval(sampler);
      proxy.resume();
    }
    t.equal(log.maxInFlight, 1, 'at most one run in flight');
    // One admin per run at most, each gone once its request times out (requestTimeout 5 s = 2.5 intervals).
    t.ok(maxOpen <= 4, `at most ${maxOpen} connections open at once`);
    const upMs = await waitForReady(url, 200, 15_000);
    t.pass(`200 again ${upMs} ms after the broker answered again`);
    await close(); // Runs the check's close hook: the admin it created is disconnected.
    await waitFor('the admins disconnected', () => proxy.open === 0, 10_000);
    t.same(rejections, [], 'no unhandled rejection');
  });

  t.test('100 concurrent probe requests for 5 s: a fixed number of Metadata requests per run', async (t) => {
    const proxy = await startProxy({ target: { host: HOST, port: Number(PORT) }, protocol: 'kafka' });
    t.teardown(() => proxy.close());
    const cfg = { interval: 1000, timeout: 800 };
    const { check, log } = watchRuns(kafkaCheck({ kafka: client(proxy), topics: [TOPIC], ...cfg }));
    const { url } = await startApp(t, [check]);
    await waitForReady(url, 200, 15_000);
    const count0 = proxy.count;
    const runs0 = log.runs;
    const load = await probeLoad(url, '/ready', 100, 5000);
    const requests = proxy.count - count0;
    const runs = log.runs - runs0;
    t.equal(load.errors, 0, `no client error (${load.errors}: ${load.errorSample.join('; ')})`);
    t.equal(load.statuses[200], load.requests, `${load.requests} probe requests, all 200`);
    // kafkajs admins refresh metadata before each call: describeCluster + fetchTopicMetadata = 4 requests a run.
    t.ok(Math.abs(requests - 4 * runs) <= 4, `${requests} Metadata requests reached the broker for ${runs} runs`);
    t.ok(runs >= 2 && runs <= 5000 / cfg.interval + 1, `${runs} runs in 5 s at a ${cfg.interval} ms interval`);
  });

  t.test('a real consumer group: pass, no heartbeat while the broker hangs, stopped', async (t) => {
    const rejections = rejectionSpy(t);
    const proxy = await startProxy({ target: { host: HOST, port: Number(PORT) }, protocol: 'kafka' });
    const consumer = client(proxy).consumer({
      groupId: `probekit-test-${process.pid}`,
      heartbeatInterval: 300,
      maxWaitTimeInMs: 300,
      sessionTimeout: 10_000,
    });
    t.teardown(async () => {
      proxy.resume();
      await consumer.disconnect();
      await proxy.close();
    });
    const maxHeartbeatAgeMs = 2000;
    const check = kafkaConsumerCheck({ consumer, maxHeartbeatAgeMs, interval: 500, timeout: 300, failureThreshold: 1 });
    const { url } = await startApp(t, [check]);
    await consumer.connect();
    await consumer.subscribe({ topics: [TOPIC] });
    await consumer.run({ eachMessage: async () => {} });
    await waitFor(
      'the consumer check passes',
      async () => (await ready(url)).json.checks['kafka-consumer']?.status === 'pass',
      20_000,
    );
    t.pass('joined the group and heartbeating');

    proxy.stall();
    try {
      await waitForReady(url, 503, maxHeartbeatAgeMs + 3000);
      t.match((await ready(url)).json.checks['kafka-consumer']?.output, /^no heartbeat for \d+ ms \(limit 2000 ms\)$/);
    } finally {
      proxy.resume();
    }
    await waitFor(
      'the consumer check passes again',
      async () => (await ready(url)).json.checks['kafka-consumer']?.status === 'pass',
      30_000,
    );
    t.pass('heartbeating again after the broker answered');

    await consumer.stop();
    await waitForReady(url, 503, 3000);
    t.equal((await ready(url)).json.checks['kafka-consumer']?.output, 'consumer stopped');
    t.same(rejections, [], 'no unhandled rejection');
  });

  t.test('broker stopped and started again (one restart)', async (t) => {
    const rejections = rejectionSpy(t);
    const { url } = await startApp(t, [kafkaCheck({ kafka: client(), topics: [TOPIC], ...CFG })]);
    await waitForReady(url, 200, 15_000);
    try {
      await stopService('kafka');
      const failMs = await waitForReady(url, 503, FAIL_WITHIN);
      t.pass(`503 ${failMs} ms after the broker stopped`);
      const down = (await ready(url)).json.checks.kafka;
      t.match(down, { status: 'fail', output: /ECONNREFUSED/ }, 'connection refused (fatal: no threshold wait)');
      t.equal((await get(`${url}/hello`, 1000)).status, 200, 'the app keeps serving other routes');
    } finally {
      await startService('kafka');
    }
    const upMs = await waitForReady(url, 200, CFG.interval + 30_000);
    t.pass(`200 again ${upMs} ms after the broker started`);
    t.same(rejections, [], 'no unhandled rejection');
  });
}

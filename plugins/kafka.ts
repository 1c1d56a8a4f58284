import type { Admin, Consumer, ITopicMetadata, Kafka } from 'kafkajs';
import { abortable, defineCheck, factoryOptions } from '../src/core/define.js';
import { CheckFailedError, InvalidOptionError, showValue } from '../src/core/errors.js';
import { describeError } from '../src/core/sanitize.js';
import type { Check, CheckOptions } from '../src/core/types.js';

/** Options of {@link kafkaCheck}: give `kafka` (the check creates its own admin) or `admin` (yours), not both. */
export interface KafkaCheckOptions extends CheckOptions {
  /**
   * The app's kafkajs `Kafka` client; the check creates one admin from it on its first run (with `retry: { retries: 0 }`,
   * since probekit's thresholds do the retrying), reuses it, and disconnects it on close.
   * Its `requestTimeout` and `connectionTimeout` apply: keep them at or below the check's `timeout`, so a hung
   * request settles by itself (kafkajs has no cancel).
   */
  kafka?: Kafka;
  /** An admin client of yours instead: the check connects it if needed and never disconnects it. */
  admin?: Admin;
  /** Brokers `describeCluster()` must list. Default 1. */
  minBrokers?: number;
  /** Topics that must exist, every partition with a leader. Default none. */
  topics?: readonly string[];
  /** Check name. Default `kafka`. */
  name?: string;
}

function fail(message: string): never {
  throw new InvalidOptionError(`kafkaCheck(): ${message}`);
}

function validate(options: KafkaCheckOptions): { minBrokers: number; topics: string[] } {
  if (options === null || typeof options !== 'object')
    fail(`expected an options object, got \`${options === null ? 'null' : typeof options}\``);
  const { kafka, admin } = options;
  if ((kafka === undefined) === (admin === undefined)) fail('Expected exactly one of `kafka` or `admin`');
  if (kafka !== undefined && typeof (kafka as { admin?: unknown })?.admin !== 'function') {
    fail('Expected `kafka` to be a kafkajs Kafka client (with `admin()`)');
  }
  if (admin !== undefined && typeof (admin as { describeCluster?: unknown })?.describeCluster !== 'function') {
    fail('Expected `admin` to be a kafkajs admin client (with `describeCluster()`)');
  }
  const minBrokers = options.minBrokers ?? 1;
  if (!Number.isInteger(minBrokers) || minBrokers < 1) {
    fail(`Expected \`minBrokers\` to be a positive integer, got \`${showValue(minBrokers)}\``);
  }
  const topics = options.topics ?? [];
  if (!Array.isArray(topics) || !topics.every((t) => typeof t === 'string' && t.length > 0)) {
    fail('Expected `topics` to be an array of non-empty strings');
  }
  return { minBrokers, topics: [...topics] };
}

function checkTopics(wanted: readonly string[], found: readonly ITopicMetadata[]): void {
  for (const name of wanted) {
    const topic = found.find((t) => t.name === name);
    if (topic === undefined || topic.partitions.length === 0) throw new CheckFailedError(`topic ${name} not found`);
    const leaderless = topic.partitions.filter((p) => p.leader < 0).map((p) => p.partitionId);
    if (leaderless.length > 0) {
      throw new CheckFailedError(`topic ${name}: no leader for partition(s) ${leaderless.join(', ')}`);
    }
  }
}

/**
 * Asks the cluster for its metadata through one kafkajs admin client: `describeCluster()` must list at least
 * `minBrokers` brokers, and with `topics`, `fetchTopicMetadata()` must show each topic with a leader for every
 * partition. It produces and consumes nothing and never creates a topic (kafkajs admins do not auto-create).
 * A kafkajs admin refreshes its metadata before each of these calls (its `metadataMaxAge` is 0), so a run costs two
 * Metadata requests, four with `topics`.
 *
 * The admin connects lazily, on the first run, and is reused. kafkajs can not cancel a request, so an aborted run
 * stops waiting and leaves the request to kafkajs' own `requestTimeout`. If the next run finds that request still
 * pending, the check drops its own admin (disconnecting it in the background) and starts over with a new one;
 * with an admin of yours it waits for that request instead (within its own timeout). After a failed run the admin
 * is `connect()`ed again (a no-op while kafkajs still holds a connection).
 * @throws InvalidOptionError unless exactly one of `kafka` / `admin` is given, or for a bad `minBrokers` / `topics`.
 */
export function kafkaCheck(options: KafkaCheckOptions): Check {
  factoryOptions('kafkaCheck', options, ['kafka', 'admin', 'minBrokers', 'topics']);
  const { minBrokers, topics } = validate(options);
  const kafka = options.kafka;
  let admin: Admin | null = options.admin ?? null;
  let connected = false;
  let pending: Promise<void> | null = null;

  const drop = () => {
    const old = admin;
    admin = null;
    connected = false;
    pending = null;
    // Waits for the hung request (kafkajs' requestTimeout) before closing its sockets; nobody waits for it.
    old?.disconnect().catch(() => {});
  };

  async function probe(a: Admin): Promise<void> {
    if (!connected) {
      await a.connect();
      connected = true;
    }
    const { brokers } = await a.describeCluster();
    if (brokers.length < minBrokers) {
      throw new CheckFailedError(`${brokers.length} broker(s) in the cluster, expected at least ${minBrokers}`);
    }
    if (topics.length === 0) return;
    let found: ITopicMetadata[];
    try {
      found = (await a.fetchTopicMetadata({ topics })).topics;
    } catch (err) {
      // kafkajs fails the whole request when one topic is missing, without saying which.
      if ((err as { type?: unknown }).type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw err;
      const what = topics.length === 1 ? `topic ${topics[0]}` : `one of the topics ${topics.join(', ')}`;
      throw new CheckFailedError(`${what} not found`, { cause: err });
    }
    checkTopics(topics, found);
  }

  return defineCheck(
    'kafkaCheck',
    options,
    { name: 'kafka', dependency: true },
    {
      run(signal) {
        if (pending) {
          // Your admin: wait for its request rather than pile another on it. Ours: start over with a fresh one.
          if (kafka === undefined) return abortable(pending, signal);
          drop();
        }
        if (admin === null) admin = (kafka as Kafka).admin({ retry: { retries: 0 } });
        const a = admin;
        const work = probe(a);
        pending = work;
        work.then(
          () => {
            if (pending === work) pending = null;
          },
          () => {
            if (pending === work) pending = null;
            if (admin === a) connected = false;
          },
        );
        return abortable(work, signal);
      },
      async close() {
        if (kafka === undefined) return; // The admin is the user's.
        const a = admin;
        admin = null;
        connected = false;
        if (a) await a.disconnect();
      },
    },
  );
}

/** Options of {@link kafkaConsumerCheck}. */
export interface KafkaConsumerCheckOptions extends CheckOptions {
  /** The app's kafkajs consumer. The check only listens to its instrumentation events. */
  consumer: Consumer;
  /**
   * Longest time without a heartbeat (or group join), in ms. Default 30000 (kafkajs' default `sessionTimeout`).
   * kafkajs heartbeats between fetches, so set it well above `heartbeatInterval` and `maxWaitTimeInMs` (3 s and 5 s
   * by default) plus the longest time your `eachMessage`/`eachBatch` may take without calling `heartbeat()`.
   */
  maxHeartbeatAgeMs?: number;
  /** Check name. Default `kafka-consumer`. */
  name?: string;
}

/**
 * Watches a kafkajs consumer through its instrumentation events (subscribed when the check is created, removed on
 * close): fails when the consumer crashed (until it joins its group again), was stopped or disconnected, has not
 * joined its group yet, or has not sent a heartbeat for more than `maxHeartbeatAgeMs`. It does no I/O; the age of
 * the last heartbeat is reported as `observedValue` (ms).
 * @throws InvalidOptionError for a missing consumer or a non-positive `maxHeartbeatAgeMs`.
 */
export function kafkaConsumerCheck(options: KafkaConsumerCheckOptions): Check {
  factoryOptions('kafkaConsumerCheck', options, ['consumer', 'maxHeartbeatAgeMs']);
  const consumer = options?.consumer;
  if (consumer === null || typeof consumer !== 'object' || typeof consumer.on !== 'function' || !consumer.events) {
    throw new InvalidOptionError('kafkaConsumerCheck(): Expected `consumer` to be a kafkajs consumer (with `on` and `events`)');
  }
  const maxAge = options.maxHeartbeatAgeMs ?? 30_000;
  if (typeof maxAge !== 'number' || !(maxAge > 0)) {
    throw new InvalidOptionError(
      `kafkaConsumerCheck(): Expected \`maxHeartbeatAgeMs\` to be a positive number, got \`${showValue(maxAge)}\``,
    );
  }
  let lastBeat: number | null = null;
  let crash: Error | null = null;
  let stopped: 'stopped' | 'disconnected' | null = null;
  const { events } = consumer;
  const listeners = [
    consumer.on(events.GROUP_JOIN, (e) => {
      lastBeat = e.timestamp;
      crash = null;
      stopped = null;
    }),
    consumer.on(events.HEARTBEAT, (e) => {
      lastBeat = e.timestamp;
    }),
    consumer.on(events.CRASH, (e) => {
      crash = e.payload.error instanceof Error ? e.payload.error : new Error(String(e.payload.error));
    }),
    consumer.on(events.STOP, () => {
      stopped = 'stopped';
      lastBeat = null;
    }),
    consumer.on(events.DISCONNECT, () => {
      stopped = 'disconnected';
      lastBeat = null;
    }),
  ];

  return defineCheck(
    'kafkaConsumerCheck',
    options,
    { name: 'kafka-consumer' },
    {
      async run() {
        if (crash) throw new CheckFailedError(`consumer crashed: ${describeError(crash)}`, { cause: crash });
        if (stopped) throw new CheckFailedError(`consumer ${stopped}`);
        if (lastBeat === null) throw new CheckFailedError('consumer has not joined its group yet');
        const age = Math.max(0, Date.now() - lastBeat);
        if (age > maxAge) throw new CheckFailedError(`no heartbeat for ${age} ms (limit ${maxAge} ms)`);
        return { observedValue: age, observedUnit: 'ms' };
      },
      close() {
        for (const off of listeners) off();
      },
    },
  );
}

// Readiness probe for the test Kafka broker, with the client the project
// tests against (kafkajs): exit 0 when a Metadata request lists a broker and
// the group coordinator answers, 1 when not (yet), 2 when kafkajs is missing.
// Looking up the coordinator of a group also makes the broker create
// __consumer_offsets, so a test's first consumer-group join does not wait.
// Usage: node kafka-ready.mjs HOST:PORT
let kafkajs;
try {
  kafkajs = (await import('kafkajs')).default;
} catch {
  console.error('kafkajs is not installed');
  process.exit(2);
}
const { Kafka, logLevel } = kafkajs;
const broker = process.argv[2] ?? '127.0.0.1:19092';
const kafka = new Kafka({
  clientId: 'probekit-services-ready',
  brokers: [broker],
  logLevel: logLevel.NOTHING,
  connectionTimeout: 1000,
  requestTimeout: 5000,
  // The caller polls; a failed attempt should return at once.
  retry: { retries: 0 },
});
const admin = kafka.admin();
let ok = false;
try {
  await admin.connect();
  const cluster = await admin.describeCluster();
  if (cluster.brokers.length > 0) {
    const { groups } = await admin.describeGroups(['probekit-services-ready']);
    ok = groups.length === 1 && groups[0].errorCode === 0;
  }
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
} finally {
  await admin.disconnect().catch(() => {});
}
process.exit(ok ? 0 : 1);

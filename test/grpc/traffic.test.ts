// The adaptive shutdown delay sees gRPC traffic (issue 12): RPCs other than the health service's keep the drain
// waiting; health RPCs (probes) do not.
import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { grpcHealth } from '../../src/grpc/index.js';
import { createHealth } from '../../src/health.js';
import { recordingLogger } from '../helpers/logger.js';

const id = (b: Buffer) => b;
const ECHO: grpc.ServiceDefinition = {
  Echo: {
    path: '/test.Echo/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: id,
    requestDeserialize: id,
    responseSerialize: id,
    responseDeserialize: id,
  },
};

async function setup(t: { teardown(fn: () => unknown): void }) {
  const logger = recordingLogger();
  const health = createHealth({
    logger,
    shutdown: { exit: false, signals: ['SIGUSR2'], delay: { min: 200, max: 4000, quiet: 500 } },
    checks: [{ name: 'db', interval: 60_000, timeout: 1000, run: async () => {} }],
  });
  const server = new grpc.Server();
  server.addService(ECHO, { Echo: (_call: unknown, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.alloc(0)) });
  grpcHealth(health).addToServer(server);
  const port = await new Promise<number>((ok, ko) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? ko(e) : ok(p))),
  );
  health.start();
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  t.teardown(() => {
    client.close();
    server.forceShutdown();
  });
  const call = (path: string) =>
    new Promise<void>((resolve) => client.makeUnaryRequest(path, id, id, Buffer.from([0x0a, 0x00]), () => resolve()));
  const drainLine = () =>
    logger.entries.find((e) => e.msg === 'probekit: shutdown delay over, draining connections')?.obj as
      | { delayReason?: string; requests?: number; lastRequestMs?: number | null; delayMs?: number }
      | undefined;
  return { health, call, drainLine };
}

t.test('RPCs to another service hold the drain until they stop for quiet ms', async (t) => {
  const { health, call, drainLine } = await setup(t);
  await call('/test.Echo/Echo');
  const done = health.shutdown('test');
  const until = Date.now() + 1000;
  while (Date.now() < until) {
    await call('/test.Echo/Echo');
    await new Promise((r) => setTimeout(r, 50));
  }
  await done;
  const line = drainLine();
  t.equal(line?.delayReason, 'quiet');
  t.ok((line?.requests ?? 0) >= 5, `the RPCs were seen (${line?.requests})`);
  t.ok((line?.lastRequestMs ?? 0) >= 800, `the last one about 1 s after the signal (${line?.lastRequestMs} ms)`);
  t.ok((line?.delayMs ?? 0) >= 1300, `the drain waited quiet ms after it (${line?.delayMs} ms)`);
});

t.test('health RPCs are probes, not traffic', async (t) => {
  const { health, call, drainLine } = await setup(t);
  const done = health.shutdown('test');
  const until = Date.now() + 1000;
  let checks = 0;
  while (Date.now() < until && drainLine() === undefined) {
    await call('/grpc.health.v1.Health/Check');
    checks++;
    await new Promise((r) => setTimeout(r, 20));
  }
  await done;
  const line = drainLine();
  t.ok(checks > 5, `${checks} Check calls during the delay`);
  t.equal(line?.requests, 0, 'none counted');
  t.ok((line?.delayMs ?? 0) < 1000, `drained after quiet, not held (${line?.delayMs} ms)`);
});

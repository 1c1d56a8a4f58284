// The load generator of `npm run bench:grpc`: grpc-js clients keeping many Check calls in flight (closed loop).
//   node --import tsx bench/lib/grpc-load.ts --target 127.0.0.1:<port> --duration <s> --warmup <s>
//     [--channels 4] [--concurrency 64] [--service '']
// Prints one JSON line: { calls, errors, seconds, rps, first } (`first`: the status of the first answer).
import * as grpc from '@grpc/grpc-js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback);
}

const target = arg('target', '');
const duration = Number(arg('duration', '5')) * 1000;
const warmup = Number(arg('warmup', '1')) * 1000;
const channels = Number(arg('channels', '4'));
const concurrency = Number(arg('concurrency', '64'));
const service = arg('service', '');

// HealthCheckRequest{service}: field 1, length-delimited; empty for '' (proto3 leaves defaults out).
const name = Buffer.from(service);
const request = name.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a, name.length]), name]);
const identity = (b: Buffer) => b;
const PATH = '/grpc.health.v1.Health/Check';

const clients = Array.from(
  { length: channels },
  // A subchannel (one HTTP/2 connection) per client, as separate callers would have.
  () => new grpc.Client(target, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }),
);
await Promise.all(
  clients.map(
    (c) => new Promise<void>((resolve, reject) => c.waitForReady(Date.now() + 10_000, (e) => (e ? reject(e) : resolve()))),
  ),
);

let counting = false;
let running = true;
let calls = 0;
let errors = 0;
let first: string | undefined;

function loop(client: grpc.Client): void {
  client.makeUnaryRequest(PATH, identity, identity, request, (err, res) => {
    if (counting) {
      if (err) errors++;
      else calls++;
    }
    // HealthCheckResponse{status}: 08 01 = SERVING, 08 02 = NOT_SERVING.
    first ??= err ? `error ${err.code}` : res?.[1] === 1 ? 'SERVING' : `status ${res?.[1]}`;
    if (running) loop(client);
  });
}

for (const c of clients) for (let i = 0; i < concurrency; i++) loop(c);
await new Promise((r) => setTimeout(r, warmup));
counting = true;
const t0 = process.hrtime.bigint();
await new Promise((r) => setTimeout(r, duration));
counting = false;
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
running = false;
process.stdout.write(`${JSON.stringify({ calls, errors, seconds, rps: calls / seconds, first })}\n`);
for (const c of clients) c.close();
process.exit(0);

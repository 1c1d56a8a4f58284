// A benchmark server for `npm run bench:grpc`: a grpc-js server on 127.0.0.1 answering grpc.health.v1.Health/Check.
//   --variant bare            a bare unary handler returning a constant SERVING response (grpc-health-check's definition)
//   --variant probekit        probekit's grpcHealth on a registry of ten checks that resolve at once
//   --variant probekit-hang   the same, one of the ten (non-critical) hanging until its 500 ms timeout on every run
// Prints `listening <port>` on stdout once bound; exits on SIGTERM, SIGINT, or when stdin closes (the runner went away).
import * as grpc from '@grpc/grpc-js';
import { service } from 'grpc-health-check';
import { createHealth } from 'probekit';
import { grpcHealth } from 'probekit/grpc';
import { makeChecks, SILENT } from '../servers/common.js';

const VARIANTS = ['bare', 'probekit', 'probekit-hang'] as const;
type Variant = (typeof VARIANTS)[number];

const variant = process.argv[process.argv.indexOf('--variant') + 1] as Variant;
if (!VARIANTS.includes(variant)) {
  process.stderr.write(`grpc bench server: expected --variant ${VARIANTS.join('|')}\n`);
  process.exit(2);
}

const server = new grpc.Server();
let stop = async () => {};
if (variant === 'bare') {
  const SERVING = { status: 'SERVING' };
  server.addService(service, {
    Check: (_call: unknown, callback: grpc.sendUnaryData<object>) => callback(null, SERVING),
    Watch: (call: grpc.ServerWritableStream<unknown, object>) => call.end(),
    List: (_call: unknown, callback: grpc.sendUnaryData<object>) => callback(null, { statuses: {} }),
  });
} else {
  // No graceful shutdown: the runner stops the server with SIGTERM and wants it gone at once.
  const health = createHealth({
    checks: makeChecks(variant === 'probekit-hang' ? 'hang' : 'free'),
    shutdown: false,
    logger: SILENT,
  });
  grpcHealth(health).addToServer(server);
  health.start();
  stop = () => health.stop();
}

const port = await new Promise<number>((resolve, reject) =>
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
);
process.stdout.write(`listening ${port}\n`);

let closing = false;
const exit = () => {
  if (closing) return;
  closing = true;
  server.forceShutdown();
  void stop().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', exit);
process.on('SIGINT', exit);
process.stdin.on('end', exit).resume();

// The kubelet's native gRPC probe (`grpc:` in a pod spec), reproduced as a test client with grpc-js. What it does,
// from k8s.io/kubernetes v1.37 pkg/probe/grpc/grpc.go and pkg/kubelet/prober/prober.go:
// - one context deadline of `timeoutSeconds` (default 1) covers the dial (blocking until connected) and the RPC;
// - a unary grpc.health.v1.Health/Check with `service` empty unless `grpc.service` is set, and empty metadata;
// - plaintext, user agent `kube-probe/<major>.<minor>`;
// - only a SERVING answer is a success; any other answer, any error, and the deadline are failures.
import * as grpc from '@grpc/grpc-js';
import { service as healthDefinition } from 'grpc-health-check';

const HealthClient = grpc.makeClientConstructor(healthDefinition, 'grpc.health.v1.Health');

export interface KubeletProbe {
  /** `grpc.port`; the host is the pod IP, here 127.0.0.1. */
  port: number;
  /** `grpc.service`. Default `''`. */
  service?: string;
  /** `timeoutSeconds`. Default 1. */
  timeoutSeconds?: number;
}

export interface ProbeResult {
  result: 'success' | 'failure';
  output: string;
  elapsedMs: number;
}

/** One probe run; never rejects. A fresh channel per run, closed after it, as the kubelet dials per probe. */
export async function kubeletProbe({ port, service = '', timeoutSeconds = 1 }: KubeletProbe): Promise<ProbeResult> {
  const started = Date.now();
  const deadline = started + timeoutSeconds * 1000;
  const addr = `127.0.0.1:${port}`;
  const client = new HealthClient(addr, grpc.credentials.createInsecure(), {
    'grpc.primary_user_agent': 'kube-probe/1.37',
    'grpc.use_local_subchannel_pool': 1,
  }) as unknown as grpc.Client & {
    check(
      req: { service: string },
      md: grpc.Metadata,
      options: grpc.CallOptions,
      cb: (err: grpc.ServiceError | null, res?: { status: string }) => void,
    ): void;
  };
  const done = (result: ProbeResult['result'], output: string): ProbeResult => {
    client.close();
    return { result, output, elapsedMs: Date.now() - started };
  };
  // WithBlock: the dial itself waits until the channel is ready, within the same deadline.
  const dialed = await new Promise<Error | undefined>((resolve) => client.waitForReady(deadline, (err) => resolve(err)));
  if (dialed) return done('failure', `timeout: could not connect to ${addr} within ${timeoutSeconds}s`);
  const answer = await new Promise<{ err: grpc.ServiceError | null; status?: string }>((resolve) =>
    client.check({ service }, new grpc.Metadata(), { deadline }, (err, res) => resolve({ err, status: res?.status })),
  );
  if (answer.err) {
    if (answer.err.code === grpc.status.DEADLINE_EXCEEDED) {
      return done('failure', `timeout: the health RPC did not complete within ${timeoutSeconds}s`);
    }
    return done('failure', `error: health RPC failed: ${grpc.status[answer.err.code]}: ${answer.err.details}`);
  }
  if (answer.status !== 'SERVING') return done('failure', `service unhealthy (answered ${answer.status})`);
  return done('success', 'service is healthy');
}

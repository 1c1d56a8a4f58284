// The check runners of the stand-in Consul agent (agent.ts), after hashicorp/consul `agent/checks/check.go`:
// HTTP: GET with `User-Agent: Consul Health Check`, `Accept: text/plain, text/*, */*`, no keep-alive, redirects
// followed, the body kept up to 4 KiB; 2xx passing, 429 warning, anything else or a transport error critical.
// gRPC: `grpc.health.v1.Health/Check` with grpc-js and the proto of grpc-health-check; SERVING passing, else critical.
// Each run is re-armed after the previous one ended, first run at a random stagger within the interval.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

/** A Consul check status. */
export type CheckStatus = 'passing' | 'warning' | 'critical';

/** One run's result, as Consul stores it. */
export interface ProbeResult {
  status: CheckStatus;
  output: string;
}

/** Something that can run one check attempt, bounded by `timeoutMs`. */
export interface Probe {
  run(timeoutMs: number): Promise<ProbeResult>;
  close(): void;
}

/** `DefaultBufSize` of check.go: what Consul keeps of a check's output. */
const OUTPUT_MAX = 4096;

/** Go's `resp.Status`: `"200 OK"`. */
function statusLine(res: IncomingMessage): string {
  return `${res.statusCode} ${res.statusMessage ?? ''}`.trimEnd();
}

function get(url: URL, timeoutMs: number): Promise<IncomingMessage> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, {
      method: 'GET',
      // `agent: false`: a fresh connection each time, closed after the answer (Consul disables keep-alives).
      agent: false,
      headers: { 'user-agent': 'Consul Health Check', accept: 'text/plain, text/*, */*' },
      timeout: timeoutMs,
    });
    req.on('timeout', () => req.destroy(new Error(`net/http: request canceled (Client.Timeout exceeded after ${timeoutMs}ms)`)));
    req.on('response', resolve);
    req.on('error', reject);
    req.end();
  });
}

function readCapped(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      if (size < OUTPUT_MAX) chunks.push(chunk.subarray(0, OUTPUT_MAX - size));
      size += chunk.length;
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** Consul's HTTP check. */
export function httpProbe(target: string): Probe {
  return {
    async run(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let url = new URL(target);
      try {
        // Go's client follows up to 10 redirects, all inside the one timeout.
        for (let hop = 0; ; hop++) {
          const res = await get(url, Math.max(1, deadline - Date.now()));
          const location = res.headers.location;
          if (res.statusCode !== undefined && [301, 302, 303, 307, 308].includes(res.statusCode) && location && hop < 10) {
            res.resume();
            url = new URL(location, url);
            continue;
          }
          const body = await readCapped(res);
          const code = res.statusCode ?? 0;
          const status: CheckStatus = code >= 200 && code <= 299 ? 'passing' : code === 429 ? 'warning' : 'critical';
          return { status, output: `HTTP GET ${target}: ${statusLine(res)} Output: ${body}` };
        }
      } catch (err) {
        return { status: 'critical', output: `Get "${target}": ${(err as Error).message}` };
      }
    },
    close() {},
  };
}

type Callback = (err: grpc.ServiceError | null, res?: { status: string }) => void;
interface HealthStub extends grpc.Client {
  check(req: { service: string }, options: grpc.CallOptions, cb: Callback): grpc.ClientUnaryCall;
}
const HealthClient = grpc.makeClientConstructor(healthService, 'grpc.health.v1.Health');

/** Consul's gRPC check: `host:port` or `host:port/service`. */
export function grpcProbe(target: string): Probe {
  const slash = target.indexOf('/');
  const address = slash === -1 ? target : target.slice(0, slash);
  const service = slash === -1 ? '' : target.slice(slash + 1);
  const client = new HealthClient(address, grpc.credentials.createInsecure()) as unknown as HealthStub;
  return {
    run(timeoutMs) {
      return new Promise((resolve) => {
        client.check({ service }, { deadline: Date.now() + timeoutMs }, (err, res) => {
          if (err) return resolve({ status: 'critical', output: `gRPC check ${target}: failed: ${err.details || err.message}` });
          if (res?.status === 'SERVING') return resolve({ status: 'passing', output: `gRPC check ${target}: success` });
          resolve({ status: 'critical', output: `gRPC check ${target}: failed: status ${res?.status ?? 'UNKNOWN'}` });
        });
      });
    },
    close: () => client.close(),
  };
}

/** A probe on its schedule: first run after a random stagger within `intervalMs`, then `intervalMs` after each end. */
export function schedule(probe: Probe, intervalMs: number, timeoutMs: number, onResult: (r: ProbeResult) => void) {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = (ms: number) => {
    timer = setTimeout(async () => {
      const result = await probe.run(timeoutMs);
      if (stopped) return;
      onResult(result);
      arm(intervalMs);
    }, ms);
    timer.unref();
  };
  arm(Math.floor(Math.random() * intervalMs));
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      probe.close();
    },
  };
}

// In-process pieces of the gRPC tests: a registry with checks the test flips, a real grpc-js server on 127.0.0.1
// port 0 with the health service, and grpc-js's own client for Check, Watch and List.
import * as grpc from '@grpc/grpc-js';
import { service as healthDefinition } from 'grpc-health-check';
import { type GrpcHealth, type GrpcHealthOptions, grpcHealth } from '../../src/grpc/index.js';
import { type Check, createHealth, type Health, type HealthOptions } from '../../src/index.js';
import { recordingLogger } from '../helpers/logger.js';
import { waitFor } from '../helpers/wait.js';

/** A check whose result the test sets; `runs` counts its runs. */
export function flag(name: string, options: Partial<Check> = {}) {
  const control = { ok: true, runs: 0 };
  const check: Check = {
    name,
    interval: 100,
    timeout: 50,
    failureThreshold: 1,
    ...options,
    run: async () => {
      control.runs++;
      if (!control.ok) throw new Error(`${name} down`);
    },
  };
  return { check, control };
}

/** A tap test, as far as these helpers use it. */
interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A registry (no signal handling, no exit) whose checks are started; stopped on teardown. */
export function registry(t: Teardown, checks: Check[], options: HealthOptions = {}): Health {
  const health = createHealth({ shutdown: { exit: false, signals: ['SIGUSR2'] }, logger: recordingLogger(), ...options, checks });
  t.teardown(() => health.stop());
  return health;
}

export interface Served {
  server: grpc.Server;
  grpc: GrpcHealth;
  port: number;
  address: string;
  detach: () => void;
}

/** A grpc-js server with probekit's health service on 127.0.0.1, port 0; force-shut on teardown. */
export async function serve(t: Teardown, health: Health, options?: GrpcHealthOptions): Promise<Served> {
  const server = new grpc.Server();
  const g = grpcHealth(health, options);
  const detach = g.addToServer(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  t.teardown(() => server.forceShutdown());
  return { server, grpc: g, port, address: `127.0.0.1:${port}`, detach };
}

const HealthClient = grpc.makeClientConstructor(healthDefinition, 'grpc.health.v1.Health');

/** What a unary call ended with: the status word, or the gRPC error code. */
export type Answer = { status: string } | { code: number; details: string };

/** A Watch stream as the client sees it: the statuses received, and how the stream ended. */
export interface WatchStream {
  readonly statuses: string[];
  /** Resolves with the final status (code 0 = OK) once the stream ended. */
  readonly ended: Promise<{ code: number; details: string }>;
  readonly isEnded: boolean;
  readonly call: grpc.ClientReadableStream<{ status: string }>;
  cancel(): void;
}

type Callback<T> = (err: grpc.ServiceError | null, res?: T) => void;

/** The generated client, typed for what the tests call. */
interface HealthStub extends grpc.Client {
  check(req: { service: string }, options: grpc.CallOptions, cb: Callback<{ status: string }>): grpc.ClientUnaryCall;
  list(
    req: object,
    options: grpc.CallOptions,
    cb: Callback<{ statuses: Record<string, { status: string }> }>,
  ): grpc.ClientUnaryCall;
  watch(req: { service: string }, options?: grpc.CallOptions): grpc.ClientReadableStream<{ status: string }>;
}

/** grpc-js's client for the health service, closed on teardown. */
export function client(t: Teardown, address: string, options: Partial<grpc.ChannelOptions> = {}) {
  const c = new HealthClient(address, grpc.credentials.createInsecure(), options) as unknown as HealthStub;
  t.teardown(() => c.close());
  return {
    raw: c,
    check: (service: string, timeoutMs = 5000) =>
      new Promise<Answer>((resolve) => {
        c.check({ service }, { deadline: Date.now() + timeoutMs }, (err, res) =>
          resolve(err ? { code: err.code, details: err.details } : { status: res?.status ?? '' }),
        );
      }),
    list: (timeoutMs = 5000) =>
      new Promise<{ statuses: Record<string, string> } | { code: number; details: string }>((resolve) => {
        c.list({}, { deadline: Date.now() + timeoutMs }, (err, res) => {
          if (err) return resolve({ code: err.code, details: err.details });
          const statuses: Record<string, string> = {};
          for (const [name, m] of Object.entries(res?.statuses ?? {})) statuses[name] = m.status;
          resolve({ statuses });
        });
      }),
    watch(service: string): WatchStream {
      const call = c.watch({ service });
      const statuses: string[] = [];
      let isEnded = false;
      call.on('data', (m: { status: string }) => statuses.push(m.status));
      const ended = new Promise<{ code: number; details: string }>((resolve) => {
        call.on('status', (s: grpc.StatusObject) => {
          isEnded = true;
          resolve({ code: s.code, details: s.details });
        });
        // An error is followed by 'status'; without a listener it would be thrown.
        call.on('error', () => {});
      });
      return {
        statuses,
        ended,
        call,
        get isEnded() {
          return isEnded;
        },
        cancel: () => call.cancel(),
      };
    },
  };
}

/** Waits (bounded) until the stream has received `n` statuses. */
export async function received(w: WatchStream, n: number, timeout = 10_000): Promise<void> {
  await waitFor(() => w.statuses.length >= n, `${n} statuses on the Watch stream (got ${JSON.stringify(w.statuses)})`, timeout);
}

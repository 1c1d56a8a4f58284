// The probe server's thread: a node:http server answering the probes from the state the app's thread publishes.
// It imports nothing that needs the app's thread (no registry, no logger): only the pure rendering and contract.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import type { ProbeState } from '../core/probe-state.js';
import { normalizeHttpOptions } from '../http/contract.js';
import { ProbeAnswers } from './answers.js';
import { sinceBeat } from './heartbeat.js';
import type { ProbeServerHttp } from './options.js';

/** What the app's thread hands to the worker. */
export interface WorkerInput {
  readonly host: string;
  readonly port: number;
  readonly maxBlockMs: number;
  readonly http: ProbeServerHttp;
  readonly heartbeat: BigInt64Array;
  readonly state: ProbeState;
}

/** Messages from the app's thread. */
export type ToWorker = { readonly type: 'state'; readonly state: ProbeState };

/** Messages to the app's thread. */
export type FromWorker =
  | { readonly type: 'listening'; readonly host: string; readonly port: number }
  | { readonly type: 'error'; readonly code: string | undefined; readonly message: string };

const input = workerData as WorkerInput;
const port = parentPort;
if (port !== null) {
  const answers = new ProbeAnswers(
    normalizeHttpOptions<IncomingMessage>(input.http),
    () => sinceBeat(input.heartbeat) > input.maxBlockMs,
    input.state,
  );
  const server = createServer(answers.handle);
  // A probe is one small request: a client that dawdles is cut off rather than holding a socket.
  server.headersTimeout = 5000;
  server.requestTimeout = 5000;
  server.keepAliveTimeout = 5000;
  port.on('message', (message: ToWorker) => {
    if (message.type === 'state') answers.update(message.state);
  });
  server.on('error', (err: NodeJS.ErrnoException) => {
    port.postMessage({ type: 'error', code: err.code, message: err.message } satisfies FromWorker);
  });
  server.listen(input.port, input.host, () => {
    const address = server.address() as AddressInfo;
    port.postMessage({ type: 'listening', host: address.address, port: address.port } satisfies FromWorker);
  });
}

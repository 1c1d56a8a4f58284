// A real gRPC health server for the CLI tests: @grpc/grpc-js with grpc-health-check's HealthImplementation.
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation, type ServingStatusMap } from 'grpc-health-check';
import type { Certs } from './certs.js';

/** A running health server. */
export interface GrpcHealthServer {
  readonly port: number;
  readonly health: HealthImplementation;
  close(): Promise<void>;
}

/** Starts a health server on 127.0.0.1 (plaintext, or TLS with the test CA's server certificate). */
export async function grpcHealthServer(statuses: ServingStatusMap, tls?: Certs): Promise<GrpcHealthServer> {
  const health = new HealthImplementation(statuses);
  const server = new grpc.Server();
  health.addToServer(server);
  const credentials = tls
    ? grpc.ServerCredentials.createSsl(null, [{ private_key: tls.serverKey, cert_chain: tls.serverCert }], false)
    : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    port,
    health,
    close: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  };
}

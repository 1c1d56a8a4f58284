// Loopback servers that play a hostile or broken Consul agent for the tests of probekit/consul: each answers with a
// handler the test gives, and records every connection and request it receives (with headers and body), so that a
// test can show that something (a token, a registration) never reached it.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Teardown } from './helpers.js';

/** A request as the server received it. */
export interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A running recording server. */
export interface RecordingServer {
  readonly url: string;
  /** TCP connections accepted, requests or not. */
  readonly connections: number;
  readonly requests: Recorded[];
}

/** Starts a server on 127.0.0.1 answering with `handle` (after the request body is read); closed on teardown. */
export async function recordingServer(
  t: Teardown,
  handle: (req: Recorded, res: ServerResponse) => void = (_req, res) => res.end(),
): Promise<RecordingServer> {
  const requests: Recorded[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer(async (req: IncomingMessage, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
    requests.push(recorded);
    handle(recorded, res);
  });
  server.on('connection', (s: Socket) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get connections() {
      return connections;
    },
    requests,
  };
}

/**
 * Answers `status` with a body of `bytes` bytes, written as fast as the client reads it (never buffered whole on
 * this side). `sent()` is how much went out before the client stopped reading or closed.
 */
export function endlessBody(status: number, bytes: number) {
  let sent = 0;
  let closed = false;
  const chunk = Buffer.alloc(64 * 1024, 'x');
  const handle = (_req: Recorded, res: ServerResponse) => {
    res.writeHead(status, { 'content-type': 'text/plain', 'content-length': String(bytes) });
    res.on('close', () => {
      closed = true;
    });
    const pump = () => {
      while (!closed && sent < bytes) {
        const piece = bytes - sent >= chunk.length ? chunk : chunk.subarray(0, bytes - sent);
        sent += piece.length;
        if (!res.write(piece)) return void res.once('drain', pump);
      }
      if (!closed) res.end();
    };
    pump();
  };
  return {
    handle,
    sent: () => sent,
    closed: () => closed,
  };
}

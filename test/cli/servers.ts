// Loopback servers for the CLI tests: a probe endpoint whose answer the test sets (plain JSON, and optionally the
// planned `?watch` event stream), a TCP listener that accepts and never answers, and a closed port.
import { createServer as createHttpServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, createServer as createTcpServer, type Server, type Socket } from 'node:net';
import type { Certs } from './certs.js';

/** One check of a probe body. */
export interface CheckState {
  status: 'pass' | 'fail' | 'unknown';
  critical?: boolean;
  output?: string;
}

/** What the endpoint answers; change it and the next answer (and the next stream event) follows. */
export interface Answer {
  statusCode: number;
  status: 'pass' | 'warn' | 'fail';
  reason?: string;
  checks: Record<string, CheckState>;
}

/** A request as the server saw it. */
export interface Seen {
  url: string;
  headers: IncomingHttpHeaders;
}

/** A running probe endpoint. */
export interface ProbeServer {
  readonly port: number;
  /** `http://127.0.0.1:<port>` (or https). */
  readonly origin: string;
  readonly seen: Seen[];
  answer: Answer;
  /** Sets the answer and pushes it to every open watch stream. */
  set(answer: Answer): void;
  /** Open watch streams. */
  readonly streams: number;
  close(): Promise<void>;
}

/** Options of {@link probeServer}. */
export interface ProbeServerOptions {
  /** Answer `GET <path>?watch` with text/event-stream. Default false (the server of today). */
  stream?: boolean;
  /** Serve over TLS with these certificates; `requestCert` asks for (and requires) a client certificate. */
  tls?: { certs: Certs; requestCert?: boolean };
}

const PASS: Answer = { statusCode: 200, status: 'pass', checks: { db: { status: 'pass' } } };

function body(answer: Answer, since: Map<string, { status: string; at: string }>): string {
  const checks: Record<string, unknown> = {};
  for (const [name, c] of Object.entries(answer.checks)) {
    const prev = since.get(name);
    const at = prev !== undefined && prev.status === c.status ? prev.at : new Date().toISOString();
    since.set(name, { status: c.status, at });
    checks[name] = {
      status: c.status,
      critical: c.critical ?? true,
      since: at,
      lastRun: new Date().toISOString(),
      durationMs: 3,
      consecutiveFailures: c.status === 'fail' ? 3 : 0,
      consecutiveSuccesses: c.status === 'pass' ? 5 : 0,
      ...(c.output === undefined ? {} : { output: c.output }),
    };
  }
  return JSON.stringify({ status: answer.status, ...(answer.reason === undefined ? {} : { reason: answer.reason }), checks });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** Starts a probe endpoint on 127.0.0.1 answering every path; closed by `close()`. */
export async function probeServer(options: ProbeServerOptions = {}): Promise<ProbeServer> {
  const seen: Seen[] = [];
  const streams = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  const since = new Map<string, { status: string; at: string }>();
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    const watch = options.stream === true && new URL(req.url ?? '/', 'http://x').searchParams.has('watch');
    if (watch) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write(`: hello\n\ndata: ${body(server.answer, since)}\n\n`);
      streams.add(res);
      res.on('close', () => streams.delete(res));
      return;
    }
    res.writeHead(server.answer.statusCode, { 'content-type': 'application/json; charset=utf-8' });
    res.end(body(server.answer, since));
  };
  const http = options.tls
    ? createHttpsServer(
        {
          key: options.tls.certs.serverKey,
          cert: options.tls.certs.serverCert,
          ca: options.tls.certs.caCert,
          requestCert: options.tls.requestCert === true,
          rejectUnauthorized: options.tls.requestCert === true,
        },
        handler,
      )
    : createHttpServer(handler);
  http.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // A failed TLS handshake is the client's problem, not the server's.
  http.on('tlsClientError', () => {});
  const port = await listen(http);
  const server: ProbeServer = {
    port,
    origin: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    seen,
    answer: PASS,
    set(answer) {
      server.answer = answer;
      for (const res of streams) res.write(`data: ${body(answer, since)}\n\n`);
    },
    get streams() {
      return streams.size;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => http.close(() => resolve()));
    },
  };
  return server;
}

/** A listener that accepts connections, reads them, and never answers. */
export async function silentServer(): Promise<{
  port: number;
  readonly accepted: number;
  readonly received: number;
  close(): Promise<void>;
}> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  let received = 0;
  const server = createTcpServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    s.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
  });
  const port = await listen(server);
  return {
    port,
    get accepted() {
      return accepted;
    },
    /** Bytes the clients have sent: a request is on its way. */
    get received() {
      return received;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port with nothing listening on it (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createTcpServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

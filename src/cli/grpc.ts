// grpc.health.v1.Health/Check over node:http2, without a gRPC library. Imported only for `probe --grpc`.
// The connection counts as made once the server's HTTP/2 SETTINGS arrive (as grpc-go's transport becomes ready
// only then), so a server that accepts TCP and never speaks is a connection failure, not a request failure.
import { type ClientHttp2Session, type ClientHttp2Stream, connect as h2connect, type IncomingHttpHeaders } from 'node:http2';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { decodeCheckResponse, encodeCheckRequest, statusName } from '../grpc/health-proto.js';
import { formatDuration, type RequestSettings } from './args.js';
import { CliError, ConnectError, describe, RequestError, UsageError } from './errors.js';
import { firstMessage, frame, GRPC_CODES } from './grpc-frame.js';
import { now } from './http-client.js';

/** What {@link grpcHealthCheck} asks, and where. */
export interface GrpcTarget {
  readonly host: string;
  readonly port: number;
  /** The `:authority` header: the address as given, or `--tls-server-name`. */
  readonly authority: string;
  /** The service name; `''` asks about the whole server. */
  readonly service: string;
  readonly settings: RequestSettings;
  readonly signal?: AbortSignal;
  /** Called once the connection is made: from then on a failure is a request failure. */
  readonly onConnect?: () => void;
}

/** A Check that returned OK. */
export interface GrpcAnswer {
  /** The ServingStatus name: `SERVING`, `NOT_SERVING`, ... */
  readonly status: string;
  readonly connectMs: number;
  readonly totalMs: number;
}

/** A gRPC answer is at most a few bytes; anything past this is not a health server. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * Reads `HOST:PORT` or `[IPv6]:PORT`.
 * @throws UsageError for anything else, or a port outside 1-65535.
 */
export function parseAddress(text: string): { host: string; port: number } {
  const m = /^\[([0-9A-Fa-f:.]+)\]:(\d{1,5})$/.exec(text) ?? /^([A-Za-z0-9._-]+):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : 0;
  if (!m || port < 1 || port > 65535) throw new UsageError(`--grpc: expected HOST:PORT, got ${JSON.stringify(text)}`);
  return { host: m[1] as string, port };
}

function isTlsError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^ERR_(SSL|TLS)_|CERT|SELF_SIGNED|UNABLE_TO_|DEPTH_ZERO/.test(code);
}

/** grpc-timeout: at most 8 digits, so whole seconds past 27 hours. */
function grpcTimeout(ms: number): string {
  const m = Math.max(1, Math.ceil(ms));
  return m <= 99_999_999 ? `${m}m` : `${Math.ceil(m / 1000)}S`;
}

function decodeMessage(value: unknown): string {
  if (typeof value !== 'string' || value === '') return '';
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function requestHeaders(target: GrpcTarget): Record<string, string> {
  const headers: Record<string, string> = {
    ':method': 'POST',
    ':path': '/grpc.health.v1.Health/Check',
    ':authority': target.authority,
    'content-type': 'application/grpc',
    te: 'trailers',
    'user-agent': target.settings.userAgent,
    'grpc-timeout': grpcTimeout(target.settings.timeoutMs),
  };
  for (const [name, value] of target.settings.headers) {
    const key = name.toLowerCase() === 'host' ? ':authority' : name.toLowerCase();
    headers[key] = value;
  }
  return headers;
}

/** Reads the verdict of a finished call; throws a RequestError for anything but an OK status with a message. */
function verdict(response: IncomingHttpHeaders | undefined, trailers: IncomingHttpHeaders | undefined, body: Buffer): string {
  if (response === undefined) throw new RequestError('the stream closed before any answer');
  const status = trailers?.['grpc-status'] ?? response['grpc-status'];
  if (status === undefined) {
    const type = String(response['content-type'] ?? 'none');
    const http = Number(response[':status']);
    throw new RequestError(
      http !== 200 ? `HTTP ${http}, not a gRPC answer` : `no grpc-status in the answer (content-type ${type})`,
    );
  }
  const code = Number(status);
  if (code !== 0) {
    const message = decodeMessage(trailers?.['grpc-message'] ?? response['grpc-message']);
    throw new RequestError(`${GRPC_CODES[code] ?? 'code'} (${code})${message === '' ? '' : `: ${message}`}`);
  }
  try {
    return statusName(decodeCheckResponse(firstMessage(body)));
  } catch (err) {
    throw new RequestError(describe(err), false, { cause: err });
  }
}

/**
 * One Health/Check call on a connection of its own, within the settings' deadlines.
 * @throws ConnectError when TCP, TLS or the HTTP/2 handshake fails or times out; RequestError when the call fails,
 *   times out, or returns a non-OK status (NOT_FOUND for an unknown service).
 */
export async function grpcHealthCheck(target: GrpcTarget): Promise<GrpcAnswer> {
  const { settings, signal } = target;
  const tls = settings.tls === undefined ? undefined : await import('node:tls');
  const started = now();
  return new Promise<GrpcAnswer>((resolve, reject) => {
    let connected = false;
    let connectMs = 0;
    let settled = false;
    let session: ClientHttp2Session | undefined;
    const finish = (err: unknown, status?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      session?.destroy();
      socket.destroy();
      if (status !== undefined) resolve({ status, connectMs, totalMs: now() - started });
      else if (err instanceof CliError) reject(err);
      else if (!connected && /^ERR_HTTP2_/.test(String((err as { code?: unknown }).code))) {
        // Before its SETTINGS the peer has not spoken HTTP/2 at all: an HTTP/1 server answers the preface with text.
        reject(new ConnectError(`not an HTTP/2 (gRPC) server: ${describe(err)}`, false, { cause: err }));
      } else if (!connected || isTlsError(err)) reject(new ConnectError(describe(err), false, { cause: err }));
      else reject(new RequestError(describe(err), false, { cause: err }));
    };
    const connectTimer = setTimeout(
      () => finish(new ConnectError(`no connection within ${formatDuration(settings.connectTimeoutMs)}`, true)),
      settings.connectTimeoutMs,
    );
    const timer = setTimeout(
      () =>
        finish(
          connected
            ? new RequestError(`no answer within ${formatDuration(settings.timeoutMs)}`, true)
            : new ConnectError(`no connection within ${formatDuration(settings.timeoutMs)}`, true),
        ),
      settings.timeoutMs,
    );
    const onAbort = () => {
      const why = `cancelled by ${String(signal?.reason ?? 'abort')}`;
      finish(connected ? new RequestError(why) : new ConnectError(why));
    };
    const t = settings.tls;
    const socket: Socket =
      tls !== undefined && t !== undefined
        ? tls.connect({
            host: target.host,
            port: target.port,
            ALPNProtocols: ['h2'],
            // No SNI for an IP address (RFC 6066); the certificate is then checked against the IP.
            servername: t.servername ?? (isIP(target.host) ? undefined : target.host),
            rejectUnauthorized: t.rejectUnauthorized,
            ...(t.ca === undefined ? {} : { ca: t.ca }),
            ...(t.cert === undefined ? {} : { cert: t.cert, key: t.key }),
          })
        : netConnect({ host: target.host, port: target.port });
    socket.on('error', finish);
    if (tls !== undefined) {
      socket.once('secureConnect', () => {
        const alpn = (socket as Socket & { alpnProtocol?: string | false }).alpnProtocol;
        if (alpn !== 'h2') finish(new ConnectError(`the server did not agree to HTTP/2 over TLS (ALPN ${alpn || 'none'})`));
      });
    }
    session = h2connect(`${tls === undefined ? 'http' : 'https'}://${target.authority}`, { createConnection: () => socket });
    session.on('error', finish);
    session.once('remoteSettings', () => {
      connected = true;
      connectMs = now() - started;
      clearTimeout(connectTimer);
      target.onConnect?.();
    });
    let response: IncomingHttpHeaders | undefined;
    let trailers: IncomingHttpHeaders | undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    const stream: ClientHttp2Stream = session.request(requestHeaders(target), { endStream: false });
    stream.on('response', (headers) => {
      response = headers;
    });
    stream.on('trailers', (headers) => {
      trailers = headers;
    });
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) finish(new RequestError('response larger than 64 KiB'));
      else chunks.push(chunk);
    });
    stream.on('error', finish);
    stream.on('close', () => {
      if (settled) return;
      try {
        finish(undefined, verdict(response, trailers, Buffer.concat(chunks)));
      } catch (err) {
        finish(err);
      }
    });
    stream.end(frame(encodeCheckRequest(target.service)));
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

import { type Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';

/** A response read to its end. */
export interface ClientResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Options of {@link request}. */
export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Default `false`: a fresh connection, closed after the answer. */
  agent?: Agent | false;
  /** Abort the request after this many ms. Default 5000. */
  timeout?: number;
}

/**
 * Sends one request with node:http to `base` + `path` and reads the whole answer. `path` is sent as is
 * (percent-encoding is not fixed up, unlike fetch), so malformed request lines reach the server.
 */
export function request(base: string, path: string, options: RequestOptions = {}): Promise<ClientResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers,
        agent: options.agent ?? false,
        signal: AbortSignal.timeout(options.timeout ?? 5000),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

// A stand-in for the local Consul agent's HTTP API, for the tests of probekit/consul: a real node:http server on
// 127.0.0.1 that implements the endpoints probekit calls and the ones a test reads back, after hashicorp/consul's
// `website/content/api-docs/agent/service.mdx`, `…/agent/check.mdx` and `…/health.mdx`. A real agent cannot be
// installed on this machine kind (not in Debian; `go install` refuses Consul's root module, which has `replace`s).
//   PUT /v1/agent/service/register            service + one `Check` (HTTP or GRPC), run on its Interval/Timeout
//   PUT /v1/agent/service/deregister/:id      a no-op when absent
//   PUT /v1/agent/service/maintenance/:id     ?enable=true|false&reason=…: the critical `_service_maintenance:<id>` check
//   GET /v1/agent/services, /v1/agent/checks, /v1/health/service/:name[?passing], /v1/agent/health/service/id/:id
// With `token`, every request must carry it (`X-Consul-Token`), else 403, as with ACLs on. The reaper removes a
// service whose check has been critical longer than its DeregisterCriticalServiceAfter (raised to `deregisterMin`),
// every `reapInterval`. Consul's floors (1 s interval, 1 min deregistration, 30 s reaping) can be lowered for speed.
import { EventEmitter } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Answer, aggregate, BadRequest, Catalog, type CatalogFloors } from './agent-catalog.js';
import type { CheckStatus } from './agent-checks.js';

/** Options of {@link startAgent}. */
export interface AgentOptions extends CatalogFloors {
  /** Default 0 (any free port). */
  port?: number;
  /** ACL token every request must carry. Default none (ACLs off). */
  token?: string;
  /** Consul's `check_reap_interval` (30 s). */
  reapInterval?: number;
}

/** A request the agent received, with its JSON body parsed. */
export interface Received {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: unknown;
  at: number;
}

/** The running stand-in. Events: `request` (a {@link Received}, once answered), `status` (a service's aggregate changed). */
export class StandInAgent extends EventEmitter {
  readonly requests: Received[] = [];
  /** Every change of a service's aggregated status, `gone` when it left the agent. */
  readonly timeline: { id: string; status: CheckStatus | 'gone'; at: number }[] = [];
  /** Lets a test answer a request itself: a status code, `'hang'` (never answered), or undefined (handled normally). */
  intercept: ((r: Received) => number | 'hang' | undefined) | undefined;
  private readonly catalog: Catalog;
  private readonly server = createServer((req, res) => this.handle(req, res));
  private reaper: NodeJS.Timeout | undefined;
  port = 0;
  url = '';

  constructor(private readonly opts: AgentOptions) {
    super();
    this.catalog = new Catalog(opts, (id, status) => {
      this.timeline.push({ id, status, at: performance.now() });
      this.emit('status', id, status);
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port ?? 0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${this.port}`;
    this.reaper = setInterval(() => this.catalog.reap(), this.opts.reapInterval ?? 30_000);
    this.reaper.unref();
    return this;
  }

  /** Requests to `path` (a prefix such as `/v1/agent/service/maintenance/`). */
  received(path: string): Received[] {
    return this.requests.filter((r) => r.path.startsWith(path));
  }

  /** Stops every check and the reaper, and closes the server with its connections. */
  close(): Promise<void> {
    clearInterval(this.reaper);
    for (const id of [...this.catalog.services.keys()]) this.catalog.remove(id);
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://agent');
    let raw = '';
    for await (const chunk of req) raw += chunk;
    let body: unknown;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      body = raw;
    }
    const r: Received = {
      method: req.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
      at: performance.now(),
    };
    this.requests.push(r);
    const forced = this.intercept?.(r);
    if (forced === 'hang') return void this.emit('request', r);
    let status = 200;
    let answer: unknown = null;
    try {
      if (forced !== undefined) throw new BadRequest(forced, 'intercepted by the test');
      const token = req.headers['x-consul-token'] ?? url.searchParams.get('token');
      if (this.opts.token !== undefined && token !== this.opts.token) throw new BadRequest(403, 'Permission denied');
      answer = this.route(r.method, url, body);
      if (answer instanceof Answer) [status, answer] = [answer.status, answer.body];
    } catch (err) {
      status = err instanceof BadRequest ? err.status : 500;
      answer = (err as Error).message;
    }
    // The PUTs answer 200 with an empty body, errors are one line of text, reads are JSON.
    const text = answer === null || answer === undefined ? '' : typeof answer === 'string' ? answer : JSON.stringify(answer);
    res.writeHead(status, { 'content-type': typeof answer === 'string' ? 'text/plain; charset=utf-8' : 'application/json' });
    res.end(text);
    this.emit('request', r);
  }

  private route(method: string, url: URL, body: unknown): unknown {
    const p = url.pathname;
    const tail = (prefix: string) => decodeURIComponent(p.slice(prefix.length));
    if (method === 'PUT' && p === '/v1/agent/service/register') {
      return this.catalog.register(body, url.searchParams.get('replace-existing-checks') === 'true');
    }
    if (method === 'PUT' && p.startsWith('/v1/agent/service/deregister/'))
      return void this.catalog.remove(tail('/v1/agent/service/deregister/'));
    if (method === 'PUT' && p.startsWith('/v1/agent/service/maintenance/'))
      return this.catalog.maintenance(tail('/v1/agent/service/maintenance/'), url.searchParams);
    if (method === 'GET' && p === '/v1/agent/services')
      return Object.fromEntries([...this.catalog.services].map(([id, s]) => [id, this.catalog.serviceJson(s)]));
    if (method === 'GET' && p === '/v1/agent/checks') {
      return Object.fromEntries(
        [...this.catalog.services.values()].flatMap((s) =>
          [...s.checks.values()].map((c) => [c.CheckID, this.catalog.checkJson(c)]),
        ),
      );
    }
    if (method === 'GET' && p.startsWith('/v1/health/service/')) {
      const name = tail('/v1/health/service/');
      return [...this.catalog.services.values()]
        .filter((s) => s.Service === name && (!url.searchParams.has('passing') || aggregate(s.checks.values()) === 'passing'))
        .map((s) => ({
          Node: { ID: 'stand-in', Node: 'stand-in', Address: '127.0.0.1', Datacenter: 'dc1' },
          Service: this.catalog.serviceJson(s),
          Checks: [
            {
              Node: 'stand-in',
              CheckID: 'serfHealth',
              Name: 'Serf Health Status',
              Status: 'passing',
              ServiceID: '',
              ServiceName: '',
            },
            ...[...s.checks.values()].map((c) => this.catalog.checkJson(c)),
          ],
        }));
    }
    if (method === 'GET' && p.startsWith('/v1/agent/health/service/id/')) {
      const s = this.catalog.services.get(tail('/v1/agent/health/service/id/'));
      if (s === undefined) throw new BadRequest(404, 'ServiceId not found');
      const agg = aggregate(s.checks.values());
      const code = agg === 'passing' ? 200 : agg === 'warning' ? 429 : 503;
      const json = {
        AggregatedStatus: agg,
        Service: this.catalog.serviceJson(s),
        Checks: [...s.checks.values()].map((c) => this.catalog.checkJson(c)),
      };
      return new Answer(code, url.searchParams.get('format') === 'text' ? agg : json);
    }
    throw new BadRequest(404, `no such endpoint in the stand-in: ${method} ${p}`);
  }
}

/** Starts a stand-in agent on 127.0.0.1 (port 0 unless given). */
export function startAgent(options: AgentOptions = {}): Promise<StandInAgent> {
  return new StandInAgent(options).listen();
}

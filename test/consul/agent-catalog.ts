// The state of the stand-in Consul agent (agent.ts): its services and their checks, the runs that update them, the
// maintenance check, the reaper of DeregisterCriticalServiceAfter, and the JSON shapes the read-back endpoints return.
import { type CheckStatus, grpcProbe, httpProbe, type ProbeResult, schedule } from './agent-checks.js';

/** Consul's floors, lowered by the tests for speed. */
export interface CatalogFloors {
  /** Consul's `MinInterval` (1 s): shorter check intervals are raised to it. */
  minInterval?: number;
  /** Consul's `check_deregister_interval_min` (1 min). */
  deregisterMin?: number;
}

/** A check as the agent keeps it: Consul's fields, plus when it turned critical and its schedule. */
export interface CheckState {
  CheckID: string;
  Name: string;
  Status: CheckStatus;
  Notes: string;
  Output: string;
  ServiceID: string;
  ServiceName: string;
  Type: string;
  criticalSince: number | undefined;
  deregisterAfter: number;
  stop(): void;
}

/** A service as the agent keeps it, with its checks (the maintenance check among them). */
export interface ServiceState {
  ID: string;
  Service: string;
  Tags: string[];
  Meta: Record<string, string>;
  Address: string;
  Port: number;
  checks: Map<string, CheckState>;
}

const DURATION = /^(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;
const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const REGISTER_KEYS = new Set(['ID', 'Name', 'Tags', 'Address', 'Port', 'Meta', 'Check', 'EnableTagOverride', 'Weights']);
const CHECK_KEYS = new Set([
  'HTTP',
  'GRPC',
  'Interval',
  'Timeout',
  'DeregisterCriticalServiceAfter',
  'Name',
  'CheckID',
  'Notes',
  'Status',
]);
const MAINTENANCE_NOTES = 'Maintenance mode is enabled for this service, but no reason was provided. This is a default message.';

/** An answer with a status other than 200. */
export class Answer {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

/** An API error: its status and Consul's one-line text. */
export class BadRequest extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Go's `time.ParseDuration` for the values Consul takes here: a string, in ms. */
function goDuration(field: string, value: unknown): number {
  if (value === undefined || value === '') return 0;
  if (typeof value !== 'string' || !DURATION.test(value))
    throw new BadRequest(400, `Request decode failed: ${field}: time: invalid duration ${JSON.stringify(value)}`);
  let ms = 0;
  for (const m of value.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g))
    ms += Number(m[1]) * (UNITS[m[2] as string] as number);
  return ms;
}

/** Aggregated status of a service: any critical wins, then any warning. */
export function aggregate(checks: Iterable<CheckState>): CheckStatus {
  let out: CheckStatus = 'passing';
  for (const c of checks) {
    if (c.Status === 'critical') return 'critical';
    if (c.Status === 'warning') out = 'warning';
  }
  return out;
}

/** The services of the agent. `onStatus` hears every change of a service's aggregated status (`gone` on removal). */
export class Catalog {
  readonly services = new Map<string, ServiceState>();
  private readonly last = new Map<string, CheckStatus>();

  constructor(
    private readonly floors: CatalogFloors,
    private readonly onStatus: (id: string, status: CheckStatus | 'gone') => void,
  ) {}

  register(body: unknown, replaceChecks: boolean): null {
    const b = body as Record<string, unknown>;
    if (b === null || typeof b !== 'object') throw new BadRequest(400, 'Request decode failed: not a JSON object');
    for (const key of Object.keys(b))
      if (!REGISTER_KEYS.has(key)) throw new BadRequest(400, `Request decode failed: unknown field ${key}`);
    if (typeof b.Name !== 'string' || b.Name === '') throw new BadRequest(400, 'Missing service name');
    if (b.Port !== undefined && !Number.isInteger(b.Port)) throw new BadRequest(400, 'Request decode failed: Port');
    const c = (b.Check ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(c))
      if (!CHECK_KEYS.has(key)) throw new BadRequest(400, `Request decode failed: unknown field Check.${key}`);
    const target = c.HTTP ?? c.GRPC;
    if (typeof target !== 'string' || (c.HTTP !== undefined && c.GRPC !== undefined)) {
      throw new BadRequest(400, 'Invalid check: the stand-in runs exactly one of HTTP and GRPC');
    }
    const interval = goDuration('Interval', c.Interval);
    if (interval <= 0)
      throw new BadRequest(400, 'Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP or UDP checks');
    const id = typeof b.ID === 'string' && b.ID !== '' ? b.ID : b.Name;
    const service: ServiceState = {
      ID: id,
      Service: b.Name,
      Tags: (b.Tags as string[] | undefined) ?? [],
      Meta: (b.Meta as Record<string, string> | undefined) ?? {},
      Address: (b.Address as string | undefined) ?? '',
      Port: (b.Port as number | undefined) ?? 0,
      checks: new Map(),
    };
    // Re-registering replaces the service and the check it defines; its other checks (maintenance included) stay,
    // unless `?replace-existing-checks=true`.
    const previous = this.services.get(id);
    this.services.set(id, service);
    const now = performance.now();
    const check: CheckState = {
      CheckID: typeof c.CheckID === 'string' ? c.CheckID : `service:${id}`,
      Name: typeof c.Name === 'string' ? c.Name : `Service '${b.Name}' check`,
      // New checks start critical unless told otherwise.
      Status: (c.Status as CheckStatus | undefined) ?? 'critical',
      Notes: typeof c.Notes === 'string' ? c.Notes : '',
      Output: '',
      ServiceID: id,
      ServiceName: b.Name,
      Type: c.HTTP !== undefined ? 'http' : 'grpc',
      criticalSince: now,
      deregisterAfter: goDuration('DeregisterCriticalServiceAfter', c.DeregisterCriticalServiceAfter),
      stop: () => {},
    };
    const every = Math.max(interval, this.floors.minInterval ?? 1000);
    const timeout = goDuration('Timeout', c.Timeout) || 10_000;
    const probe = c.HTTP !== undefined ? httpProbe(target) : grpcProbe(target);
    check.stop = schedule(probe, every, timeout, (r) => this.record(service, check, r)).stop;
    for (const old of previous?.checks.values() ?? []) {
      if (old.CheckID === check.CheckID || replaceChecks) old.stop();
      else service.checks.set(old.CheckID, old);
    }
    service.checks.set(check.CheckID, check);
    this.changed(service);
    return null;
  }

  maintenance(id: string, params: URLSearchParams): null {
    const enable = params.get('enable');
    if (enable === null) throw new BadRequest(400, 'Missing value for enable');
    if (enable !== 'true' && enable !== 'false') throw new BadRequest(400, `Invalid value for enable: ${JSON.stringify(enable)}`);
    const s = this.services.get(id);
    if (s === undefined) throw new BadRequest(404, `Unknown service ID ${JSON.stringify(id)}`);
    const checkId = `_service_maintenance:${id}`;
    if (enable === 'false') s.checks.delete(checkId);
    else {
      s.checks.set(checkId, {
        CheckID: checkId,
        Name: 'Service Maintenance Mode',
        Status: 'critical',
        Notes: params.get('reason') || MAINTENANCE_NOTES,
        Output: '',
        ServiceID: id,
        ServiceName: s.Service,
        Type: 'maintenance',
        criticalSince: performance.now(),
        deregisterAfter: 0,
        stop: () => {},
      });
    }
    this.changed(s);
    return null;
  }

  private record(s: ServiceState, c: CheckState, r: ProbeResult): void {
    if (this.services.get(s.ID) !== s) return;
    if (r.status === 'critical' && c.Status !== 'critical') c.criticalSince = performance.now();
    if (r.status !== 'critical') c.criticalSince = undefined;
    c.Status = r.status;
    c.Output = r.output;
    this.changed(s);
  }

  private changed(s: ServiceState): void {
    const status = aggregate(s.checks.values());
    if (this.last.get(s.ID) === status) return;
    this.last.set(s.ID, status);
    this.onStatus(s.ID, status);
  }

  remove(id: string): void {
    const s = this.services.get(id);
    if (s === undefined) return;
    for (const c of s.checks.values()) c.stop();
    this.services.delete(id);
    this.last.delete(id);
    this.onStatus(id, 'gone');
  }

  reap(): void {
    const now = performance.now();
    for (const s of [...this.services.values()]) {
      for (const c of s.checks.values()) {
        if (c.deregisterAfter <= 0 || c.Status !== 'critical' || c.criticalSince === undefined) continue;
        if (now - c.criticalSince >= Math.max(c.deregisterAfter, this.floors.deregisterMin ?? 60_000)) {
          this.remove(s.ID);
          break;
        }
      }
    }
  }

  serviceJson(s: ServiceState) {
    return { ID: s.ID, Service: s.Service, Tags: s.Tags, Meta: s.Meta, Address: s.Address, Port: s.Port, Datacenter: 'dc1' };
  }

  checkJson(c: CheckState) {
    const { CheckID, Name, Status, Notes, Output, ServiceID, ServiceName, Type } = c;
    return { Node: 'stand-in', CheckID, Name, Status, Notes, Output, ServiceID, ServiceName, Type };
  }
}

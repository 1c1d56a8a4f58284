import type { Server, ServerUnaryCall, ServerWritableStream, sendUnaryData, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { DrainTarget } from '../index.js';
import { GRPC_STATUS, HEALTH_SERVICE, RESPONSES, type StatusMessage, type StatusRequest } from './definition.js';
import type { ServiceTable } from './table.js';
import { Watcher } from './watcher.js';

/** What probekit calls on a gRPC server. grpc-js's `Server` fits. */
export type GrpcServer = Pick<Server, 'addService' | 'removeService' | 'tryShutdown' | 'forceShutdown'>;

/** More services than this and List answers RESOURCE_EXHAUSTED, as grpc-go's health server does (`maxAllowedServices`). */
export const LIST_LIMIT = 100;
/** Open Watch streams named one by one in the log of a drain cut short; the rest are counted. */
const LOGGED_STREAMS = 20;

/** The health service's RPCs: probes, not traffic, for the adaptive shutdown delay. */
const HEALTH_PATH = '/grpc.health.v1.Health/';

const UNKNOWN_SERVICE = Object.freeze({ code: GRPC_STATUS.NOT_FOUND, details: 'unknown service' });
const TOO_MANY = Object.freeze({ code: GRPC_STATUS.RESOURCE_EXHAUSTED, details: 'too many services to list' });

type Call = ServerUnaryCall<StatusRequest, StatusMessage>;
type Stream = ServerWritableStream<StatusRequest, StatusMessage>;

/** The number of HTTP/2 sessions a grpc-js server holds, for the log only (its `sessions` Map; 0 when not found). */
function sessionCount(server: GrpcServer): number {
  const sessions = (server as { sessions?: unknown }).sessions;
  return sessions instanceof Map ? sessions.size : 0;
}

/**
 * The health service on one server: the handlers, which only read the table's cached state, and the drain target
 * the shutdown sequence calls (end the Watch streams with OK, `tryShutdown`, and `forceShutdown` at the deadline).
 */
export class ServerAttachment implements DrainTarget {
  /** The Watch streams of this server, each with the function that takes it off the table. */
  private readonly open = new Map<Watcher, () => void>();
  private draining: Promise<void> | null = null;

  constructor(
    private readonly server: GrpcServer,
    private readonly table: ServiceTable,
  ) {}

  /** Puts the service on the server. grpc-js throws if the server has it already. */
  add(): void {
    this.server.addService(HEALTH_SERVICE, this.implementation());
  }

  /** Takes the service off the server and ends its Watch streams with OK. */
  remove(): void {
    this.server.removeService(HEALTH_SERVICE);
    this.endStreams();
  }

  /** Ends the Watch streams with OK (clients re-resolve), then stops the server; resolves once it has closed. */
  drain(): Promise<void> {
    this.draining ??= new Promise<void>((resolve) => {
      this.endStreams();
      // In-flight RPCs finish; the callback comes when every session has closed.
      this.server.tryShutdown(() => resolve());
    });
    return this.draining;
  }

  /** Past the deadline: cancels whatever is left. */
  destroy(): void {
    for (const [watcher, unwatch] of this.open) {
      unwatch();
      watcher.forget();
    }
    this.open.clear();
    this.server.forceShutdown();
  }

  /** The Watch streams still open (ended ones whose last message the client has not taken yet included). */
  openWork(): { requests: string[]; connections: number } {
    const requests: string[] = [];
    for (const watcher of this.open.keys()) {
      if (requests.length === LOGGED_STREAMS) {
        requests.push(`... and ${this.open.size - LOGGED_STREAMS} more Watch streams`);
        break;
      }
      requests.push(`Watch ${JSON.stringify(watcher.service.slice(0, 100))}`);
    }
    return { requests, connections: sessionCount(this.server) };
  }

  /**
   * For the adaptive shutdown delay: calls `onTraffic` for every RPC that reaches this server and is not a health
   * RPC, until the returned function is called. grpc-js has no public per-call event, so this listens to the
   * `stream` events of its HTTP/2 servers (its `http2Servers` map, grpc-js 1.10 and later); without that map it
   * sees nothing and the delay runs on its `min`/`quiet`/`max` alone. Listening starts with the delay: RPCs pay
   * nothing for it before the shutdown.
   */
  watchTraffic(onTraffic: () => void): () => void {
    const map = (this.server as { http2Servers?: unknown }).http2Servers;
    if (!(map instanceof Map)) return () => {};
    const servers = [...map.keys()].filter(
      (s): s is NodeJS.EventEmitter => s !== null && typeof s === 'object' && typeof (s as NodeJS.EventEmitter).on === 'function',
    );
    const listener = (_stream: unknown, headers: Record<string, unknown> | undefined) => {
      const path = headers?.[':path'];
      if (typeof path === 'string' && path.startsWith(HEALTH_PATH)) return;
      onTraffic();
    };
    for (const s of servers) s.on('stream', listener);
    return () => {
      for (const s of servers) s.off('stream', listener);
    };
  }

  private endStreams(): void {
    for (const [watcher, unwatch] of this.open) {
      unwatch();
      watcher.end();
    }
    // Kept in `open` until grpc-js reports the stream closed, so that a drain cut short can name them.
  }

  private implementation(): UntypedServiceImplementation {
    const table = this.table;
    return {
      Check(call: Call, callback: sendUnaryData<StatusMessage>) {
        const status = table.status(call.request.service ?? '');
        if (status === undefined) callback(UNKNOWN_SERVICE);
        else callback(null, RESPONSES[status]);
      },
      Watch: (call: Stream) => this.watch(call),
      List(_call: Call, callback: sendUnaryData<unknown>) {
        if (table.size > LIST_LIMIT) callback(TOO_MANY);
        else callback(null, table.listMessage());
      },
    };
  }

  private watch(call: Stream): void {
    const name = call.request.service ?? '';
    const watcher = new Watcher(name, call);
    if (this.draining !== null) {
      // Arrived between the end of the streams and the server's close: its answer, then the end.
      watcher.push(this.table.wireStatus(name));
      watcher.end();
      return;
    }
    const unwatch = this.table.watch(watcher);
    this.open.set(watcher, unwatch);
    const gone = () => {
      unwatch();
      watcher.forget();
      this.open.delete(watcher);
    };
    // A call cancelled before its handler ran gets no 'cancelled' event any more.
    if (call.cancelled) {
      gone();
      return;
    }
    // grpc-js emits 'cancelled' whenever the stream closes: a client cancel, a deadline, or after our own end.
    call.once('cancelled', gone);
    watcher.push(this.table.wireStatus(name));
  }
}

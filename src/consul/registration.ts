import { codes, InvalidOptionError, ProbekitError, showValue as show } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { describeError } from '../core/sanitize.js';
import { agentRequest, answerError, requestError } from './agent-client.js';
import { retryDelay } from './backoff.js';
import { type NormalizedConsul, normalizeConsulOptions } from './options.js';
import { redactingLogger } from './redact.js';
import type { ConsulCloseOptions, ConsulHealthRegistry, ConsulRegistrationOptions, ConsulRegistrationState } from './types.js';

function isRegistry(value: unknown): value is ConsulHealthRegistry {
  const h = value as Partial<Record<keyof ConsulHealthRegistry, unknown>> | null;
  return (
    typeof h === 'object' &&
    h !== null &&
    typeof h.on === 'function' &&
    typeof h.off === 'function' &&
    typeof h.addParticipant === 'function' &&
    typeof h.logger === 'object' &&
    h.logger !== null
  );
}

const ok = (status: number) => status >= 200 && status < 300;

/**
 * The service's entry in the local Consul agent, tied to a registry's lifecycle: registered when the registry starts
 * (retried with capped, jittered backoff while the agent cannot be reached or refuses; the app never waits for it),
 * put in maintenance the moment the shutdown begins (Consul's twin of readiness 503), deregistered after the cleanup
 * hooks. Create it with {@link consulRegistration}.
 */
export class ConsulRegistration {
  /** The service ID on the agent (`service.id`, default `service.name`). */
  readonly serviceId: string;
  private readonly cfg: NormalizedConsul;
  private readonly log: Logger;
  private current: ConsulRegistrationState = 'waiting';
  /** True once a register request went out: from then on the service may exist on the agent. */
  private sent = false;
  private stopped = false;
  private failures = 0;
  /** The kind of the last failure logged (`unreachable`, `status 403`...): a log line per change, not per attempt. */
  private failure: string | undefined;
  private retryTimer: unknown;
  /** Agent requests run one after the other: maintenance waits for a register in flight, deregistration for both. */
  private queue: Promise<void> = Promise.resolve();
  private readonly attempts = new AbortController();
  private readonly first: Promise<void>;
  private resolveFirst!: () => void;
  private rejectFirst!: (err: Error) => void;
  private closing: Promise<void> | null = null;
  private readonly leave: () => void;
  private readonly onStart = () => {
    this.health.off('start', this.onStart);
    this.attempt();
  };

  /** @throws InvalidOptionError for something that is not a registry, or bad options (see {@link consulRegistration}). */
  constructor(
    private readonly health: ConsulHealthRegistry,
    options: ConsulRegistrationOptions,
  ) {
    if (!isRegistry(health)) throw new InvalidOptionError('Expected `health` to be a Health created by createHealth()');
    this.cfg = normalizeConsulOptions(options);
    this.serviceId = this.cfg.serviceId;
    // Every line goes through the token's redaction: an agent may quote the token back in its error text.
    this.log = redactingLogger(health.logger, this.cfg.redact);
    this.first = new Promise<void>((resolve, reject) => {
      this.resolveFirst = resolve;
      this.rejectFirst = reject;
    });
    // Nobody may ever call ready(): a close() before the first registration must not be an unhandled rejection.
    this.first.catch(() => {});
    // Out of discovery at the signal, while the app still serves through `shutdown.delay`; deregistered after the
    // drain and the cleanup hooks (or when the app closes itself).
    this.leave = health.addParticipant({
      name: `consul registration of ${this.serviceId}`,
      phase: 'app',
      announce: (trigger) => this.enterMaintenance(trigger),
      close: () => this.close(),
    });
    if (health.isShuttingDown) {
      void this.close({ deregister: false });
      return;
    }
    if (health.isRunning) this.attempt();
    else health.on('start', this.onStart);
  }

  /** Where the registration stands (see {@link ConsulRegistrationState}). */
  get state(): ConsulRegistrationState {
    return this.current;
  }

  /** True while the agent has the service: registered, in maintenance included. */
  get registered(): boolean {
    return this.current === 'registered' || this.current === 'maintenance';
  }

  /**
   * Resolves on the first successful registration (at once if it happened already). Rejects with a ProbekitError
   * (`PROBEKIT_ERR_CONSUL_CLOSED`) when the registration is closed (by `close()` or the shutdown sequence) before.
   */
  ready(): Promise<void> {
    return this.first;
  }

  /**
   * Stops retrying and aborts an attempt in flight; then, unless `deregister: false`, deregisters the service (when a
   * registration was ever sent), bounded by `requestTimeout` per request. Idempotent: later calls get the same promise.
   * The shutdown sequence calls it after the cleanup hooks.
   */
  close(options: ConsulCloseOptions = {}): Promise<void> {
    if (options === null || typeof options !== 'object') {
      return Promise.reject(new InvalidOptionError(`Expected close() options to be an object, got \`${show(options)}\``));
    }
    for (const key of Object.keys(options)) {
      if (key !== 'deregister') return Promise.reject(new InvalidOptionError(`Unknown option \`${key}\``));
    }
    const deregister = options.deregister ?? true;
    if (typeof deregister !== 'boolean') {
      return Promise.reject(new InvalidOptionError(`Expected \`deregister\` to be a boolean, got \`${show(deregister)}\``));
    }
    this.closing ??= this.shutDown(deregister);
    return this.closing;
  }

  private async shutDown(deregister: boolean): Promise<void> {
    this.stopRetrying();
    // Aborted, an attempt in flight can no longer succeed, so ready() can settle for good.
    this.attempts.abort();
    if (!this.registered) {
      this.rejectFirst(
        new ProbekitError(codes.CONSUL_CLOSED, `Consul registration of ${this.serviceId} closed before it registered`),
      );
    }
    this.leave();
    this.health.off('start', this.onStart);
    if (deregister && this.sent) await this.enqueue(() => this.deregister());
    else await this.queue;
    if (this.current !== 'deregistered') this.current = 'closed';
  }

  private stopRetrying(): void {
    this.stopped = true;
    if (this.retryTimer !== undefined) this.cfg.timers.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private context(extra: object = {}): object {
    return { agent: this.cfg.agent, service: this.serviceId, ...extra };
  }

  /** Runs `op` after every request before it. Never rejects: what goes wrong is logged. */
  private enqueue(op: () => Promise<void>): Promise<void> {
    const next = this.queue.then(op).catch((err: unknown) => {
      this.log.error(this.context({ error: describeError(err) }), 'probekit: Consul request failed unexpectedly');
    });
    this.queue = next;
    return next;
  }

  private attempt(): void {
    this.retryTimer = undefined;
    if (this.stopped) return;
    this.current = 'registering';
    void this.enqueue(async () => {
      if (this.stopped) return;
      this.sent = true;
      try {
        const answer = await agentRequest(this.cfg, '/v1/agent/service/register', this.cfg.registerBody, this.attempts.signal);
        if (ok(answer.status)) return this.succeeded();
        this.failed(`status ${answer.status}`, answerError(answer));
      } catch (err) {
        if (this.attempts.signal.aborted) return;
        this.failed('unreachable', describeError(requestError(err)));
      }
    });
  }

  private succeeded(): void {
    this.current = 'registered';
    this.log.info(this.context({ attempts: this.failures + 1 }), 'probekit: registered the service with Consul');
    this.failures = 0;
    this.failure = undefined;
    this.resolveFirst();
  }

  private failed(kind: string, error: string): void {
    this.failures++;
    if (this.stopped) return;
    const delay = retryDelay(this.failures, this.cfg.initialDelay, this.cfg.maxDelay);
    if (kind !== this.failure) {
      this.failure = kind;
      const msg = 'probekit: Consul registration failed; retrying with backoff (logged again only when this changes)';
      const level = kind === 'unreachable' ? 'warn' : 'error';
      this.log[level](this.context({ error, attempts: this.failures, retryInMs: delay }), msg);
    }
    this.retryTimer = this.cfg.timers.setTimeout(() => this.attempt(), delay);
  }

  /** The shutdown signal: leave discovery now, while the app still serves through `shutdown.delay`. */
  private enterMaintenance(trigger: string): void {
    this.stopRetrying();
    if (!this.sent) return;
    const reason = `probekit: shutting down (${String(trigger)})`;
    const path = `/v1/agent/service/maintenance/${encodeURIComponent(this.serviceId)}?enable=true&reason=${encodeURIComponent(reason)}`;
    void this.enqueue(async () => {
      // A register still in flight ran before this; one that failed left nothing to put in maintenance.
      if (this.current !== 'registered') return;
      try {
        const answer = await agentRequest(this.cfg, path);
        if (!ok(answer.status)) throw new ProbekitError(codes.CONSUL_REQUEST_FAILED, answerError(answer));
        this.current = 'maintenance';
        this.log.info(this.context({ reason }), 'probekit: Consul service in maintenance (out of discovery)');
      } catch (err) {
        this.log.warn(this.context({ error: describeError(requestError(err)) }), 'probekit: Consul maintenance failed');
      }
    });
  }

  private async deregister(): Promise<void> {
    try {
      const answer = await agentRequest(this.cfg, `/v1/agent/service/deregister/${encodeURIComponent(this.serviceId)}`);
      if (!ok(answer.status)) throw new ProbekitError(codes.CONSUL_REQUEST_FAILED, answerError(answer));
      this.current = 'deregistered';
      this.log.info(this.context(), 'probekit: deregistered the service from Consul');
    } catch (err) {
      this.log.warn(
        this.context({ error: describeError(requestError(err)) }),
        'probekit: Consul deregistration failed; Consul removes the service after `deregisterCriticalServiceAfter`',
      );
    }
  }
}

/**
 * Registers the service with the local Consul agent for as long as `health` runs (see {@link ConsulRegistration}).
 * Registration starts on the registry's `start` event, or at once when it runs already.
 * @throws InvalidOptionError naming the option and the value, for an unknown key too.
 */
export function consulRegistration(health: ConsulHealthRegistry, options: ConsulRegistrationOptions): ConsulRegistration {
  return new ConsulRegistration(health, options);
}

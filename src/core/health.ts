import { EventEmitter } from 'node:events';
import { type FleetEvent, FleetView } from '../fleet/fleet.js';
import { type FleetOptions, normalizeFleet } from '../fleet/options.js';
import type { ProbeServerOptions } from '../probe-server/options.js';
import type { Gates, HealthStatus, ProbeResponse, ReportQuery } from './aggregate.js';
import { integerOption, timerOption } from './bounds.js';
import type { DrainTarget } from './drain-target.js';
import { InvalidOptionError, showValue } from './errors.js';
import type { HealthLike } from './health-like.js';
import { Lifecycle } from './lifecycle.js';
import { type Logger, normalizeLogger } from './logger.js';
import { normalizeDefaults, normalizeTimers } from './options.js';
import { normalizeOverload, OverloadMonitor, type OverloadOptions } from './overload.js';
import { type Participant, validParticipant } from './participant.js';
import type { ProbeState } from './probe-state.js';
import { type CheckView, Registry } from './registry.js';
import { describeError } from './sanitize.js';
import { normalizeShutdown, type ShutdownOptions, type ShutdownResult } from './shutdown.js';
import type { HealthSnapshot } from './snapshot.js';
import type { Check, CheckOptions, Probe, RunEvent, Timers } from './types.js';

export type { ReportQuery } from './aggregate.js';
export type { Logger } from './logger.js';

/** Options of {@link createHealth}. */
export interface HealthOptions {
  /** Checks to register at once (more can be added with `register`). */
  checks?: readonly Check[];
  /** Settings applied to every check that does not set its own. */
  defaults?: CheckOptions;
  /** A pino (or pino-compatible) logger. Default: a pino logger named `probekit` on stdout. */
  logger?: Logger;
  /** Clock and timers, for tests with fake timers. Default: the globals, unref'ed. */
  timers?: Timers;
  /** How long a check's `close` hook may take when the registry stops, in ms (1 to 2^31-1). Default 5000. */
  closeTimeout?: number;
  /** The graceful shutdown on SIGTERM/SIGINT (see {@link ShutdownOptions}); `false` turns it off. Default on. */
  shutdown?: ShutdownOptions | false;
  /** How many past run results each check keeps for `snapshot()` and the status page (0 to 1000). Default 60. */
  historySize?: number;
  /**
   * Answer the probes from a server of their own, in a worker thread, on another port: they keep answering in well
   * under a millisecond however busy the app's event loop is, and `/live` fails (`blocked`) only when that loop has
   * not turned for `maxBlockMs` (see {@link ProbeServerOptions}). Default off. Served by `Health` (`createHealth()`,
   * the Fastify plugin); the HTTP-free `HealthCore` leaves it to its subclass.
   */
  probeServer?: ProbeServerOptions;
  /** Fail readiness (`overloaded`) while the event loop lags (see {@link OverloadOptions}). Default off. */
  overload?: OverloadOptions | false;
  /**
   * The fleet view for `shared` checks (see {@link FleetOptions}): while one fails, the peers are asked, and a failure
   * a quorum of them sees too keeps `/ready` at 200 `warn`. Default off.
   */
  fleet?: FleetOptions;
}

// A mapped type, so that a key of HealthOptions missing here, or one that is not a key of it, fails to compile.
const OPTION_KEYS: { readonly [K in keyof HealthOptions]-?: true } = {
  checks: true,
  defaults: true,
  logger: true,
  timers: true,
  closeTimeout: true,
  shutdown: true,
  historySize: true,
  probeServer: true,
  overload: true,
  fleet: true,
};

/**
 * Every key of {@link HealthOptions}, once: the registry refuses any other key, and the Fastify plugin passes each of
 * these it is given to the registry it creates.
 */
export const HEALTH_OPTION_KEYS: readonly (keyof HealthOptions)[] = Object.freeze(
  Object.keys(OPTION_KEYS) as (keyof HealthOptions)[],
);
const KNOWN_OPTIONS: ReadonlySet<string> = new Set(HEALTH_OPTION_KEYS);

/**
 * The health registry without any HTTP: checks and their answers ({@link Registry}), plus the process lifecycle
 * ({@link Lifecycle}). `Health` (from `probekit`) adds `attach()` for node:http servers on top of it.
 * Events: `transition` on every status change of a check, `run` after every run of a check ({@link RunEvent}),
 * `startup` once startup completes, `change` whenever any probe's answer may have changed, `start` when `start()`
 * first starts the checks, `shutdown` (with the trigger) when the shutdown sequence begins, `fleet` ({@link FleetEvent})
 * when a shared check starts or stops failing fleet-wide. Listeners that throw or reject are logged; they never break the schedule.
 */
export class HealthCore extends EventEmitter implements HealthLike {
  /** The logger, wrapped so that it never throws. */
  readonly logger: Logger;
  protected readonly timers: Timers;
  private readonly registry: Registry;
  private readonly lifecycle: Lifecycle;
  /** The fleet view, when the `fleet` option is set. */
  protected readonly fleetView: FleetView | undefined;
  private hooks = 0;
  private readonly overload: OverloadMonitor | undefined;

  constructor(options: HealthOptions = {}) {
    super();
    if (options === null || typeof options !== 'object') {
      throw new InvalidOptionError(`Expected options to be an object, got \`${showValue(options)}\``);
    }
    for (const key of Object.keys(options)) {
      if (!KNOWN_OPTIONS.has(key)) throw new InvalidOptionError(`Unknown option \`${key}\``);
    }
    const defaults = normalizeDefaults(options.defaults);
    this.timers = normalizeTimers(options.timers);
    const closeTimeout = options.closeTimeout ?? 5000;
    timerOption('closeTimeout', closeTimeout);
    const historySize = options.historySize ?? 60;
    integerOption('historySize', historySize, 0, 1000);
    const shutdown = normalizeShutdown(options.shutdown);
    const overload = normalizeOverload(options.overload);
    // The probe server is HTTP: `Health` serves it. A bare HealthCore must not take it and then serve nothing.
    if (options.probeServer !== undefined && new.target === HealthCore) {
      throw new InvalidOptionError('`probeServer` needs the HTTP layer: create the registry with createHealth(), not HealthCore');
    }
    const fleet = normalizeFleet(options.fleet);
    this.logger = normalizeLogger(options.logger);
    this.registry = new Registry(
      this.logger,
      this.timers,
      defaults,
      {
        transition: (event) => this.safeEmit('transition', event),
        // The hot part of a run's end: skipped entirely while nobody listens (metrics do).
        run: (event) => {
          this.fleetView?.onRun(event);
          if (this.listenerCount('run') > 0) this.safeEmit('run', event);
        },
        startup: () => this.safeEmit('startup'),
        change: () => this.safeEmit('change'),
      },
      historySize,
    );
    const registry = this.registry;
    this.fleetView =
      fleet &&
      new FleetView(fleet, {
        logger: this.logger,
        timers: this.timers,
        setShared: (check, reason) => registry.setShared(check, reason),
        emit: (event) => this.safeEmit('fleet', event),
      });
    this.lifecycle = new Lifecycle(shutdown, this.logger, this.timers, {
      markShuttingDown: (trigger) => {
        this.registry.markShuttingDown();
        this.safeEmit('shutdown', trigger);
      },
      liveFailing: () => this.registry.evaluate('live') === 'fail',
      closeLimit: (phase) => (phase === 'checks' || phase === 'schedule' ? closeTimeout : shutdown.hookTimeout),
    });
    // The checks' timers stop after the app's hooks and the framework closed (they may still look at the checks), and
    // before the checks' own close hooks.
    this.lifecycle.add({
      name: 'check schedule',
      phase: 'schedule',
      close: () => {
        this.lifecycle.release();
        this.fleetView?.stop();
        this.registry.stop();
      },
    });
    if (options.checks !== undefined && !Array.isArray(options.checks)) {
      throw new InvalidOptionError('Expected `checks` to be an array of checks');
    }
    for (const c of options.checks ?? []) this.register(c);
    this.overload = overload && new OverloadMonitor(overload, (reason) => this.hold(reason), this.logger);
    // It keeps judging through the drain (the kubelet probes a terminating pod); it stops with the check timers.
    const monitor = this.overload;
    if (monitor) this.lifecycle.add({ name: 'overload monitor', phase: 'schedule', close: () => monitor.close() });
  }

  /**
   * Adds a check. After `start()` it runs at once.
   * @throws InvalidOptionError for bad settings, DuplicateCheckError for a taken name, RegistryStoppedError after `stop()`.
   */
  register(check: Check): this {
    const added = this.registry.register(check);
    if (added.shared && this.fleetView === undefined) {
      this.logger.warn(
        { check: added.name },
        `probekit: check ${added.name} is shared, but no \`fleet\` option is set: it fails readiness like any check`,
      );
    }
    if (added.shared) this.fleetView?.add(added);
    const close = added.close;
    if (close !== undefined) {
      this.lifecycle.add({ name: `close hook of check ${added.name}`, phase: 'checks', close: () => close.call(added) });
    }
    return this;
  }

  /** Names of the registered checks, in registration order. */
  get checkNames(): string[] {
    return this.registry.checkNames;
  }

  /**
   * Holds readiness (503 with `reason`) until the returned function is called, e.g. while a cache warms.
   * Calling the release function twice is harmless.
   */
  hold(reason: string): () => void {
    return this.registry.hold(reason);
  }

  /**
   * Liveness answers 503 with `reason` from now on, on every server and the gRPC `liveness` service: for a state the
   * app knows cannot heal, so that the kubelet restarts it. Logged once; a later call changes nothing.
   * @throws InvalidOptionError for a reason that is not a non-empty string.
   */
  markBroken(reason: string): void {
    if (this.registry.markBroken(reason)) {
      this.logger.error({ reason }, `probekit: marked broken, liveness failing: ${reason}`);
    }
  }

  /** Starts every check's schedule (first runs at once) and the signal handling. Idempotent. */
  start(): void {
    const first = !this.registry.isRunning;
    this.registry.start();
    this.lifecycle.trap();
    if (first) this.safeEmit('start');
  }

  /**
   * Adds a cleanup hook for the shutdown sequence (close your pools here). Hooks run once, in reverse order of
   * registration, each bounded by `shutdown.hookTimeout`; one that throws or hangs is logged and the others still
   * run. They run on the shutdown signal, on `health.shutdown()`, or on `health.close()` (Fastify: `app.close()`),
   * whichever comes first.
   * @param name Shown in the logs. Default: the function's name.
   */
  onShutdown(fn: () => unknown, name?: string): this {
    if (typeof fn !== 'function') {
      throw new InvalidOptionError(`Expected the hook given to \`onShutdown(fn)\` to be a function, got \`${showValue(fn)}\``);
    }
    if (name !== undefined && typeof name !== 'string') {
      throw new InvalidOptionError(`Expected the hook's \`name\` to be a string, got \`${showValue(name)}\``);
    }
    this.hooks++;
    this.lifecycle.add({ name: `shutdown hook ${name ?? (fn.name || `#${this.hooks}`)}`, phase: 'hooks', close: fn });
    return this;
  }

  /**
   * Runs the shutdown sequence: readiness 503 at once, `delay`, drain the attached servers, cleanup hooks,
   * stop the checks, then `process.exit` (unless `shutdown.exit` is false) once every registry of the process has
   * finished its own sequence. Calling it again returns the same promise.
   */
  shutdown(trigger = 'manual'): Promise<ShutdownResult> {
    return this.lifecycle.shutdown(trigger);
  }

  /**
   * Closes the registry without the shutdown sequence (no delay, no drain, no exit): runs the `close` step of every
   * participant (cleanup hooks, the framework, Consul, the check timers, the checks' close hooks) in phase order, each
   * at most once: not again if a shutdown sequence already ran it, and waiting for one it is running. What an app's own
   * `close()` calls.
   */
  async close(): Promise<void> {
    await this.lifecycle.close();
  }

  /**
   * Adds something to drain in the shutdown sequence (step 3): a gRPC server, a queue consumer. `health.attach()`
   * does this for node:http servers. Returns a function that removes it.
   * @throws InvalidOptionError when `target` lacks `drain`, `destroy` or `openWork`.
   */
  addDrainTarget(target: DrainTarget, name = 'drain target'): () => void {
    const ok =
      target !== null &&
      typeof target === 'object' &&
      typeof target.drain === 'function' &&
      typeof target.destroy === 'function' &&
      typeof target.openWork === 'function';
    if (!ok) {
      throw new InvalidOptionError(
        `Expected \`addDrainTarget(target)\` to get an object with drain(), destroy() and openWork(), got \`${showValue(target)}\``,
      );
    }
    const watch = target.watchTraffic;
    const announce = target.announce;
    return this.addParticipant({
      name,
      drain: () => target.drain(),
      destroy: () => target.destroy(),
      openWork: () => target.openWork(),
      ...(watch !== undefined && { watchTraffic: (onTraffic: () => void) => watch.call(target, onTraffic) }),
      ...(announce !== undefined && { announce: () => announce.call(target) }),
    });
  }

  /**
   * Adds a participant to the end of this registry's life (see {@link Participant}): its steps run at the signal
   * (`announce`), during the delay (`watchTraffic`), after it (`drain`), after the drain (`close`, once, whichever of
   * the signal, `health.close()` or a framework's close comes first), and at the deadline (`destroy`). The servers,
   * watch streams, gRPC, Consul and the frameworks take part this way; `onShutdown` and `addDrainTarget` are short
   * forms. Returns a function that removes it.
   * @throws InvalidOptionError for a missing `name`, an unknown `phase`, or a step that is not a function.
   */
  addParticipant(participant: Participant): () => void {
    return this.lifecycle.add(validParticipant(participant, 'addParticipant(participant)'));
  }

  /** True after `start()` and before `stop()`. */
  get isRunning(): boolean {
    return this.registry.isRunning;
  }

  /** True once the shutdown sequence began. */
  get isShuttingDown(): boolean {
    return this.registry.isShuttingDown;
  }

  /**
   * Stops every timer and aborts every run in progress, then calls the checks' `close` hooks
   * (each bounded by `closeTimeout`; one that throws or hangs is logged and the others still run). Idempotent.
   */
  async stop(): Promise<void> {
    await this.lifecycle.close(['schedule', 'checks']);
  }

  /**
   * The answer for a probe, built from the cached state: no I/O, and for the plain case no allocation
   * beyond the first hit after a change.
   */
  report(probe: Probe, query?: ReportQuery): ProbeResponse {
    return this.registry.report(probe, query);
  }

  /**
   * The status a probe would answer now: `pass`, `warn` (200) or `fail` (503). With `checks`, only those checks
   * count (a name that is not registered counts as failing); the probe's gates (shutdown, holds, startup) still apply.
   * Pure and cheap; for answers that follow changes, call it on the `change` event.
   */
  evaluate(probe: Probe, checks?: readonly string[]): HealthStatus {
    return this.registry.evaluate(probe, checks);
  }

  /** @internal The state answers are rendered from, as plain data (what the probe server's thread renders). */
  probeState(): ProbeState {
    return this.registry.probeState();
  }

  /** True when the `fleet` option is set. */
  get hasFleet(): boolean {
    return this.fleetView !== undefined;
  }

  /**
   * Each shared check's fleet state (with the `fleet` option): `shared` is true while it fails here and on a quorum
   * of the peers that answered the last round, so that `/ready` answers 200 `warn`. Empty without the option.
   */
  sharedStatus(): FleetEvent[] {
    return this.fleetView?.status() ?? [];
  }

  /** A copy of the whole registry's state. */
  snapshot(): HealthSnapshot {
    return this.registry.snapshot();
  }

  /**
   * @internal For the watch streams and the status page: the checks, live, in registration order. Read only; the
   * objects change as the checks run.
   */
  get checkViews(): readonly CheckView[] {
    return this.registry.views;
  }

  /** @internal The registry-wide conditions of readiness (shutting down, holds, startup), without a snapshot. */
  get gateState(): Gates {
    return this.registry.gates();
  }

  /** @internal Runs recorded so far, all checks together: a watch stream's run-by-run fields moved when it did. */
  get runCount(): number {
    return this.registry.runs;
  }

  /**
   * @internal A number that moves whenever `probe`'s answer (or one check's, with `check`) changes in substance:
   * a status, a reason, a check's status, critical flag or output. Without `probe`, any such change. -1 for a
   * check that is not registered.
   */
  substanceOf(probe?: Probe, check?: string): number {
    return this.registry.substanceOf(probe, check);
  }

  /**
   * Emits to each listener on its own: one that throws, or an async one that rejects, is logged and the others
   * still hear the event (a throw would otherwise surface in the check's schedule as an unhandled rejection).
   */
  private safeEmit(event: string, ...args: unknown[]): void {
    for (const listener of this.rawListeners(event) as ((...a: unknown[]) => unknown)[]) {
      try {
        const result = listener.apply(this, args);
        if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
          (result as Promise<unknown>).then(undefined, (err: unknown) => this.listenerFailed(event, err));
        }
      } catch (err) {
        this.listenerFailed(event, err);
      }
    }
  }

  private listenerFailed(event: string, err: unknown): void {
    this.logger.error({ event, error: describeError(err) }, `probekit: a '${event}' listener failed`);
  }
}

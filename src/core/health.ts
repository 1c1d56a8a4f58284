import { EventEmitter } from 'node:events';
import type { Server } from 'node:http';
import { pino } from 'pino';
import { type AttachOptions, attachServer } from '../http/attach.js';
import type { ServerTracker } from '../http/drain.js';
import {
  aggregate,
  type Format,
  type Gates,
  type HealthStatus,
  isMember,
  type Member,
  notFound,
  type ProbeResponse,
  render,
  startupComplete,
} from './aggregate.js';
import { runBounded } from './bounded.js';
import { DuplicateCheckError, InvalidOptionError, RegistryStoppedError, toError } from './errors.js';
import { type NormalizedCheck, normalizeCheck, normalizeDefaults, normalizeTimers } from './options.js';
import { CheckRunner } from './scheduler.js';
import { normalizeShutdown, ShutdownController, type ShutdownOptions, type ShutdownResult } from './shutdown.js';
import { checkSnapshot, type HealthSnapshot } from './snapshot.js';
import { applyResult, type CheckState, INITIAL_STATE, type Outcome } from './state.js';
import type { Check, CheckOptions, Probe, Timers, TransitionEvent } from './types.js';
import { PROBES } from './types.js';

/** The subset of a pino logger probekit uses; `app.log` of Fastify fits. */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

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
  /** How long a check's `close` hook may take when the registry stops, in ms. Default 5000. */
  closeTimeout?: number;
  /** The graceful shutdown on SIGTERM/SIGINT (see {@link ShutdownOptions}); `false` turns it off. Default on. */
  shutdown?: ShutdownOptions | false;
}

/** What {@link Health.report} is asked for. */
export interface ReportQuery {
  /** One check alone (the `/ready/<name>` path). */
  check?: string;
  /** Checks to ignore for this answer. */
  exclude?: readonly string[];
  /** Body format. Default `json`. */
  format?: Format;
  /** Show error text of failing checks. Default `false` (`reason withheld`). */
  details?: boolean;
}

interface Entry {
  readonly check: NormalizedCheck;
  readonly runner: CheckRunner;
  state: CheckState;
}

const FORMATS: readonly Format[] = ['json', 'health+json', 'text'];

/**
 * The registry: checks, their background schedule, their state, and the answers built from it.
 * Events: `transition` ({@link TransitionEvent}) on every status change of a check, `startup` once startup completes.
 */
export class Health extends EventEmitter {
  readonly logger: Logger;
  private readonly timers: Timers;
  private readonly defaults: Readonly<CheckOptions>;
  private readonly closeTimeout: number;
  private readonly entries = new Map<string, Entry>();
  private members: Record<Probe, Member[]> = { live: [], ready: [], startup: [] };
  private memberEntries: Record<Probe, Entry[]> = { live: [], ready: [], startup: [] };
  private holds = new Map<symbol, string>();
  private running = false;
  private stopped = false;
  private latched = false;
  /** Set by the shutdown sequence; readiness fails from then on. */
  private shuttingDown = false;
  private readonly shutdownCtl: ShutdownController;
  private readonly trackers: ServerTracker[] = [];
  private readonly hooks: { name: string; fn: () => unknown }[] = [];
  /** Bumped on every change; a cached response is valid while its version matches. */
  private version = 0;
  private readonly cache = new Map<string, { version: number; response: ProbeResponse }>();
  // The hot path: one slot per probe x format x details, no key building.
  private readonly fast: ({ version: number; response: ProbeResponse } | undefined)[] = [];

  constructor(options: HealthOptions = {}) {
    super();
    if (options === null || typeof options !== 'object') {
      throw new InvalidOptionError(`Expected options to be an object, got \`${String(options)}\``);
    }
    this.defaults = normalizeDefaults(options.defaults);
    this.timers = normalizeTimers(options.timers);
    const closeTimeout = options.closeTimeout ?? 5000;
    if (!Number.isInteger(closeTimeout) || closeTimeout < 1) {
      throw new InvalidOptionError(`Expected \`closeTimeout\` to be a positive integer, got \`${String(closeTimeout)}\``);
    }
    this.closeTimeout = closeTimeout;
    const shutdown = normalizeShutdown(options.shutdown);
    this.logger = options.logger ?? pino({ name: 'probekit' });
    this.shutdownCtl = new ShutdownController(shutdown, {
      logger: this.logger,
      timers: this.timers,
      markShuttingDown: () => this.markShuttingDown(),
      trackers: () => this.trackers,
      hooks: () => this.hooks,
      bounded: (what, fn, ms) => this.bounded(what, fn, ms),
      stopChecks: () => this.stop(),
    });
    if (options.checks !== undefined && !Array.isArray(options.checks)) {
      throw new InvalidOptionError('Expected `checks` to be an array of checks');
    }
    for (const c of options.checks ?? []) this.register(c);
  }

  /**
   * Adds a check. After `start()` it runs at once.
   * @throws InvalidOptionError for bad settings, DuplicateCheckError for a taken name, RegistryStoppedError after `stop()`.
   */
  register(check: Check): this {
    if (this.stopped) throw new RegistryStoppedError('register a check');
    const normalized = normalizeCheck(check, this.defaults);
    if (this.entries.has(normalized.name)) throw new DuplicateCheckError(normalized.name);
    const entry: Entry = {
      check: normalized,
      state: INITIAL_STATE,
      runner: new CheckRunner(normalized, this.timers, (outcome) => this.record(entry, outcome)),
    };
    this.entries.set(normalized.name, entry);
    this.rebuildMembers();
    if (this.running) entry.runner.start();
    return this;
  }

  /** Names of the registered checks, in registration order. */
  get checkNames(): string[] {
    return [...this.entries.keys()];
  }

  /**
   * Holds readiness (503 with `reason`) until the returned function is called, e.g. while a cache warms.
   * Calling the release function twice is harmless.
   */
  hold(reason: string): () => void {
    if (typeof reason !== 'string' || reason.length === 0) {
      throw new InvalidOptionError(`Expected \`reason\` to be a non-empty string, got \`${String(reason)}\``);
    }
    const key = Symbol(reason);
    this.holds.set(key, reason);
    this.changed();
    return () => {
      if (this.holds.delete(key)) this.changed();
    };
  }

  /** Starts every check's schedule (first runs at once). Idempotent. */
  start(): void {
    if (this.stopped) throw new RegistryStoppedError('start');
    if (this.running) return;
    this.running = true;
    for (const e of this.entries.values()) e.runner.start();
    this.updateLatch();
    this.shutdownCtl.trap();
  }

  /**
   * Adds a cleanup hook for the shutdown sequence (close your pools here). Hooks run in reverse order of
   * registration, each bounded by `shutdown.hookTimeout`; one that throws or hangs is logged and the others still run.
   * @param name Shown in the logs. Default: the function's name.
   */
  onShutdown(fn: () => unknown, name?: string): this {
    if (typeof fn !== 'function') throw new InvalidOptionError(`Expected a function, got \`${String(fn)}\``);
    this.hooks.push({ name: name ?? (fn.name || `#${this.hooks.length + 1}`), fn });
    return this;
  }

  /**
   * Runs the shutdown sequence: readiness 503 at once, `delay`, drain the attached servers, cleanup hooks,
   * stop the checks, then `process.exit` (unless `shutdown.exit` is false). Calling it again returns the same promise.
   */
  shutdown(trigger = 'manual'): Promise<ShutdownResult> {
    return this.shutdownCtl.run(trigger);
  }

  /**
   * Wires a node:http(s) server into the shutdown sequence (step 3, the drain). With `serveProbes: true` it also
   * answers the probe paths itself, before any framework: attach after the app's request handler is set
   * (`http.createServer(app)`), so that the handler can be wrapped. Returns a function that undoes it.
   * @throws InvalidOptionError for bad HTTP options.
   */
  attach(server: Server, options: AttachOptions = {}): () => void {
    const { tracker, detach } = attachServer(this, server, options);
    this.trackers.push(tracker);
    return () => {
      detach();
      const i = this.trackers.indexOf(tracker);
      if (i !== -1) this.trackers.splice(i, 1);
    };
  }

  /** True after `start()` and before `stop()`. */
  get isRunning(): boolean {
    return this.running;
  }

  /** True once the shutdown sequence began. */
  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /**
   * Stops every timer and aborts every run in progress, then calls the checks' `close` hooks
   * (each bounded by `closeTimeout`; one that throws or hangs is logged and the others still run). Idempotent.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.running = false;
    this.shutdownCtl.release();
    for (const e of this.entries.values()) e.runner.stop();
    const closers = [...this.entries.values()].filter((e) => e.check.close !== undefined).reverse();
    for (const e of closers) {
      await this.bounded(`close hook of check ${e.check.name}`, () => e.check.close?.(), this.closeTimeout);
    }
  }

  private bounded(what: string, fn: () => unknown, ms: number): Promise<boolean> {
    return runBounded(this.logger, this.timers, what, fn, ms);
  }

  /**
   * The answer for a probe, built from the cached state: no I/O, and for the plain case no allocation
   * beyond the first hit after a change.
   */
  report(probe: Probe, query?: ReportQuery): ProbeResponse {
    const format = query?.format ?? 'json';
    const details = query?.details === true;
    if (query?.check === undefined && (query?.exclude === undefined || query.exclude.length === 0)) {
      const slot = PROBES.indexOf(probe) * 6 + FORMATS.indexOf(format) * 2 + (details ? 1 : 0);
      const hit = this.fast[slot];
      if (hit !== undefined && hit.version === this.version) return hit.response;
      const response = render(this.view(probe, false, undefined), format, details);
      this.fast[slot] = { version: this.version, response };
      return response;
    }
    if (query.check !== undefined) {
      const entry = this.entries.get(query.check);
      if (entry === undefined || !this.memberEntries[probe].includes(entry)) return notFound(probe, query.check);
      const key = `${probe}/${query.check}|${format}|${details}`;
      const hit = this.cache.get(key);
      if (hit !== undefined && hit.version === this.version) return hit.response;
      const response = render(this.view(probe, true, undefined, entry), format, details);
      this.cache.set(key, { version: this.version, response });
      return response;
    }
    return render(this.view(probe, false, new Set(query.exclude)), format, details);
  }

  /** A copy of the whole registry's state. */
  snapshot(): HealthSnapshot {
    const checks: HealthSnapshot['checks'] = {};
    for (const { check, state } of this.entries.values()) checks[check.name] = checkSnapshot(check, state);
    const status = {} as Record<Probe, HealthStatus>;
    for (const p of PROBES) status[p] = aggregate(this.view(p, false, undefined));
    return { status, started: this.latched, shuttingDown: this.shuttingDown, holds: [...this.holds.values()], checks };
  }

  /** Marks the registry as shutting down: readiness answers 503 `shutting down` from now on. */
  private markShuttingDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.changed();
  }

  private gates(): Gates {
    return { shuttingDown: this.shuttingDown, holds: [...this.holds.values()], started: this.latched };
  }

  private view(probe: Probe, single: boolean, excluded: ReadonlySet<string> | undefined, one?: Entry) {
    return {
      probe,
      members: one ? [{ check: one.check, state: one.state }] : this.members[probe],
      excluded: excluded ?? EMPTY,
      gates: this.gates(),
      single,
    };
  }

  private rebuildMembers(): void {
    const all = [...this.entries.values()];
    const explicitStartup = all.some((e) => e.check.startup);
    for (const p of PROBES) this.memberEntries[p] = all.filter((e) => isMember(e.check, p, explicitStartup));
    this.refreshMembers();
  }

  private refreshMembers(): void {
    for (const p of PROBES) this.members[p] = this.memberEntries[p].map((e) => ({ check: e.check, state: e.state }));
    this.changed();
  }

  private changed(): void {
    this.version++;
  }

  private updateLatch(): void {
    if (this.latched || !this.running) return;
    if (startupComplete(this.members.startup)) {
      this.latched = true;
      this.changed();
      this.logger.info({}, 'probekit: startup complete');
      this.safeEmit('startup');
    }
  }

  /** Emits without letting a throwing listener break the schedule (it would surface as an unhandled rejection). */
  private safeEmit(event: string, ...args: unknown[]): void {
    try {
      this.emit(event, ...args);
    } catch (err) {
      this.logger.error({ err: toError(err), event }, `probekit: a '${event}' listener threw`);
    }
  }

  private record(entry: Entry, outcome: Outcome): void {
    const { state, transition } = applyResult(entry.state, outcome, entry.check, this.timers.now());
    entry.state = state;
    this.refreshMembers();
    if (transition) {
      const event: TransitionEvent = {
        name: entry.check.name,
        from: transition.from,
        to: transition.to,
        critical: entry.check.critical,
        durationMs: outcome.durationMs,
        at: state.since ?? this.timers.now(),
      };
      if (!outcome.ok) event.error = outcome.error;
      const fields = {
        check: event.name,
        from: event.from,
        to: event.to,
        durationMs: event.durationMs,
        critical: event.critical,
      };
      if (event.to === 'fail') {
        this.logger.warn({ ...fields, err: event.error }, `probekit: check ${event.name} is failing`);
      } else {
        this.logger.info(fields, `probekit: check ${event.name} is passing`);
      }
      this.safeEmit('transition', event);
    }
    this.updateLatch();
  }
}

const EMPTY: ReadonlySet<string> = new Set();

/** Creates a health registry. Throws InvalidOptionError on bad options (see {@link HealthOptions}). */
export function createHealth(options?: HealthOptions): Health {
  return new Health(options);
}

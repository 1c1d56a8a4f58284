import {
  aggregate,
  type Format,
  type Gates,
  type HealthStatus,
  isMember,
  type Member,
  notFound,
  type ProbeResponse,
  type Reporter,
  type ReportQuery,
  render,
  startupComplete,
  type View,
} from './aggregate.js';
import { warnLiveDependency } from './define.js';
import {
  CheckPendingError,
  CheckTimeoutError,
  DuplicateCheckError,
  InvalidOptionError,
  RegistryStoppedError,
  showValue,
} from './errors.js';
import { History } from './history.js';
import { loggableError, type SafeLogger } from './logger.js';
import { type NormalizedCheck, normalizeCheck } from './options.js';
import type { ProbeState } from './probe-state.js';
import { CheckRunner } from './scheduler.js';
import { SharedTimer } from './shared-timer.js';
import { checkSnapshot, type HealthSnapshot } from './snapshot.js';
import { applyResult, type CheckState, INITIAL_STATE, type Outcome } from './state.js';
import type { Check, CheckOptions, Probe, RunEvent, RunResult, Timers, TransitionEvent } from './types.js';
import { PROBES } from './types.js';

/** How the registry tells the outside about changes (the Health object turns these into events). */
export interface RegistryEvents {
  transition(event: TransitionEvent): void;
  run(event: RunEvent): void;
  startup(): void;
  /** Any probe's answer may have changed. */
  change(): void;
}

interface Entry extends CheckView {
  readonly runner: CheckRunner;
  state: CheckState;
  runs: number;
  substance: number;
  /** The probes it counts for now (startup follows ready while no check lists startup). */
  memberOf: Probe[];
}

/**
 * One check as the watch streams and the status page read it: live data, not a copy (read it, never keep it).
 * `runs` counts its recorded runs; `substance` is bumped whenever what it shows changes in substance (its status,
 * or its output or error text), not on a run that only moves `lastRun`, `durationMs` or the streaks.
 */
export interface CheckView {
  readonly check: NormalizedCheck;
  readonly state: CheckState;
  readonly history: History;
  readonly runs: number;
  readonly substance: number;
  /** Registration order, from 0. */
  readonly index: number;
}

/** Does a run change what a check shows, beyond its run-by-run fields? */
function changesSubstance(before: CheckState, after: CheckState): boolean {
  return (
    before.status !== after.status || before.errorText !== after.errorText || before.details?.output !== after.details?.output
  );
}

function resultOf(outcome: Outcome): RunResult {
  if (outcome.ok) return 'success';
  if (outcome.error instanceof CheckTimeoutError) return 'timeout';
  return outcome.error instanceof CheckPendingError ? 'pending' : 'failure';
}

const FORMATS: readonly Format[] = ['json', 'health+json', 'text'];
const EMPTY: ReadonlySet<string> = new Set();

/**
 * The checks, their schedule and state, and the answers built from that state. No I/O of its own beyond the
 * checks' timers, and no knowledge of HTTP or of the process: the answer cache is all a probe hit reads.
 */
export class Registry implements Reporter {
  private readonly entries = new Map<string, Entry>();
  /** Each probe's members, in registration order: the entries themselves, so a run rebuilds nothing. */
  private members: Record<Probe, Entry[]> = { live: [], ready: [], startup: [] };
  private readonly list: Entry[] = [];
  /** Some check names `startup` explicitly: only those are startup members (else the ready checks are). */
  private explicitStartup = false;
  private holds = new Map<symbol, string>();
  /** Shared checks failing on a quorum of peers too, with the reason `/ready` shows (see {@link Registry.setShared}). */
  private readonly sharedOutages = new Map<string, string>();
  private running = false;
  private stopped = false;
  private latched = false;
  private shuttingDown = false;
  private broken: readonly string[] | undefined;
  /** Bumped on every change; a cached response is valid while its version matches. */
  private version = 0;
  /** Runs recorded, all checks together. */
  private runCount = 0;
  /** Per probe, bumped when one of its answers changes in substance; `all` for any change at all. */
  private readonly substance = { live: 0, ready: 0, startup: 0, all: 0 };
  private readonly cache = new Map<string, { version: number; response: ProbeResponse }>();
  // The hot path: one slot per probe x format x details, no key building.
  private readonly fast: ({ version: number; response: ProbeResponse } | undefined)[] = [];
  /** The one timer of all the checks' runs and timeouts. */
  private readonly timer: SharedTimer;

  constructor(
    private readonly logger: SafeLogger,
    private readonly timers: Timers,
    private readonly defaults: Readonly<CheckOptions>,
    private readonly events: RegistryEvents,
    private readonly historySize: number,
  ) {
    this.timer = new SharedTimer(timers);
  }

  /** Adds a check; returns it as normalized (its `close` hook joins the lifecycle). */
  register(check: Check): NormalizedCheck {
    if (this.stopped) throw new RegistryStoppedError('register a check');
    const normalized = normalizeCheck(check, this.defaults);
    if (this.entries.has(normalized.name)) throw new DuplicateCheckError(normalized.name);
    const entry: Entry = {
      check: normalized,
      state: INITIAL_STATE,
      history: new History(this.historySize),
      runner: new CheckRunner(normalized, this.timers, this.timer, (outcome) => this.record(entry, outcome)),
      runs: 0,
      substance: 0,
      memberOf: [],
      index: this.list.length,
    };
    this.entries.set(normalized.name, entry);
    this.list.push(entry);
    warnLiveDependency(this.logger, check, normalized);
    this.addMember(entry);
    this.changed();
    if (this.running) entry.runner.start();
    return normalized;
  }

  get checkNames(): string[] {
    return [...this.entries.keys()];
  }

  get isRunning(): boolean {
    return this.running;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  hold(reason: string): () => void {
    if (typeof reason !== 'string' || reason.length === 0) {
      throw new InvalidOptionError(`Expected \`reason\` to be a non-empty string, got \`${showValue(reason)}\``);
    }
    const key = Symbol(reason);
    this.holds.set(key, reason);
    this.changed();
    return () => {
      if (this.holds.delete(key)) this.changed();
    };
  }

  start(): void {
    if (this.stopped) throw new RegistryStoppedError('start');
    if (this.running) return;
    this.running = true;
    for (const e of this.entries.values()) e.runner.start();
    this.updateLatch();
  }

  /** Stops every timer (the shared one is cleared) and aborts the runs in progress. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.running = false;
    for (const e of this.entries.values()) e.runner.stop();
    this.timer.clear();
  }

  /** Readiness answers 503 `shutting down` from now on. */
  markShuttingDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.changed();
  }

  /**
   * Liveness answers 503 with `reason` from now on. Only the first reason is kept.
   * @returns false when the registry was already marked broken.
   * @throws InvalidOptionError for a reason that is not a non-empty string.
   */
  markBroken(reason: string): boolean {
    if (typeof reason !== 'string' || reason.length === 0) {
      throw new InvalidOptionError(`Expected \`reason\` to be a non-empty string, got \`${showValue(reason)}\``);
    }
    if (this.broken !== undefined) return false;
    this.broken = Object.freeze([reason]);
    this.changed();
    return true;
  }

  /** The state the answers are rendered from, as plain data another thread can render ({@link ProbeState}). */
  probeState(): ProbeState {
    const members = {} as Record<Probe, Member[]>;
    for (const p of PROBES) {
      members[p] = this.members[p].map(({ check, state }) => ({
        check: { name: check.name, critical: check.critical },
        state: state.lastError === null ? state : { ...state, lastError: null },
      }));
    }
    return { members, gates: this.gates() };
  }

  /**
   * The fleet's verdict on a shared check: `reason` while a quorum of the peers sees it failing too (a failing shared
   * check then counts for `/ready` as a non-critical one), `undefined` when not. A change rebuilds the answers.
   */
  setShared(name: string, reason: string | undefined): void {
    if (this.sharedOutages.get(name) === reason) return;
    if (reason === undefined) this.sharedOutages.delete(name);
    else this.sharedOutages.set(name, reason);
    this.changed();
  }

  report(probe: Probe, query?: ReportQuery): ProbeResponse {
    const format = query?.format ?? 'json';
    const details = query?.details === true;
    if (query?.check === undefined && (query?.exclude === undefined || query.exclude.length === 0)) {
      const slot = PROBES.indexOf(probe) * 6 + FORMATS.indexOf(format) * 2 + (details ? 1 : 0);
      const hit = this.fast[slot];
      if (hit !== undefined && hit.version === this.version) return hit.response;
      const response = render(this.view(probe, this.members[probe], undefined, false), format, details);
      this.fast[slot] = { version: this.version, response };
      return response;
    }
    if (query.check !== undefined) {
      const entry = this.entries.get(query.check);
      if (entry === undefined || !this.members[probe].includes(entry)) return notFound(probe, query.check);
      const key = `${probe}/${query.check}|${format}|${details}`;
      const hit = this.cache.get(key);
      if (hit !== undefined && hit.version === this.version) return hit.response;
      const one = [{ check: entry.check, state: entry.state }];
      const response = render(this.view(probe, one, undefined, true), format, details);
      this.cache.set(key, { version: this.version, response });
      return response;
    }
    return render(this.view(probe, this.members[probe], new Set(query.exclude), false), format, details);
  }

  evaluate(probe: Probe, checks?: readonly string[]): HealthStatus {
    if (checks === undefined) return aggregate(this.view(probe, this.members[probe], undefined, false));
    const members: Member[] = [];
    for (const name of checks) {
      const entry = this.entries.get(name);
      // A name that is not (or no longer) registered can not vouch for anything.
      if (entry === undefined) return 'fail';
      members.push({ check: entry.check, state: entry.state });
    }
    return aggregate(this.view(probe, members, undefined, false));
  }

  snapshot(): HealthSnapshot {
    const checks: HealthSnapshot['checks'] = {};
    for (const { check, state, history } of this.entries.values()) {
      checks[check.name] = checkSnapshot(check, state, history.entries());
    }
    const status = {} as Record<Probe, HealthStatus>;
    for (const p of PROBES) status[p] = this.evaluate(p);
    return { status, started: this.latched, shuttingDown: this.shuttingDown, holds: [...this.holds.values()], checks };
  }

  /** The registry-wide conditions of the answers: shutting down, holds, startup, `markBroken` and shared outages. */
  gates(): Gates {
    const gates: Gates = {
      shuttingDown: this.shuttingDown,
      holds: [...this.holds.values()],
      started: this.latched,
      shared: this.sharedOutages,
    };
    return this.broken === undefined ? gates : { ...gates, broken: this.broken };
  }

  private view(probe: Probe, members: readonly Member[], excluded: ReadonlySet<string> | undefined, single: boolean): View {
    return { probe, members, excluded: excluded ?? EMPTY, gates: this.gates(), single };
  }

  /** The checks in registration order, live (see {@link CheckView}). */
  get views(): readonly CheckView[] {
    return this.list;
  }

  /** Runs recorded so far, all checks together. */
  get runs(): number {
    return this.runCount;
  }

  /**
   * A number that moves whenever `probe`'s answer (or one check's, with `check`) changes in substance: a status,
   * a reason, a check's status, critical flag or output. Without `probe`, any such change at all.
   */
  substanceOf(probe?: Probe, check?: string): number {
    if (check !== undefined) return this.entries.get(check)?.substance ?? -1;
    return probe === undefined ? this.substance.all : this.substance[probe];
  }

  /**
   * Adds a new entry to the member lists of its probes. Only the first check that names `startup` explicitly changes
   * who the startup members are (from the ready checks to the named ones): then the lists are rebuilt. Registering
   * N checks costs O(N), not O(N^2) (1,000 checks took 150 ms to register with a rebuild per check).
   */
  private addMember(entry: Entry): void {
    if (entry.check.startup && !this.explicitStartup) {
      this.rebuildMembers();
      return;
    }
    entry.memberOf = PROBES.filter((p) => isMember(entry.check, p, this.explicitStartup));
    for (const p of entry.memberOf) this.members[p].push(entry);
  }

  private rebuildMembers(): void {
    const explicitStartup = this.list.some((e) => e.check.startup);
    this.explicitStartup = explicitStartup;
    for (const p of PROBES) this.members[p] = this.list.filter((e) => isMember(e.check, p, explicitStartup));
    for (const e of this.list) e.memberOf = PROBES.filter((p) => isMember(e.check, p, explicitStartup));
  }

  /** A change that can alter a probe's status (not only a body): answers are rebuilt and listeners told. */
  private changed(): void {
    this.version++;
    for (const p of PROBES) this.substance[p]++;
    this.substance.all++;
    this.events.change();
  }

  private updateLatch(): void {
    if (this.latched || !this.running) return;
    if (startupComplete(this.members.startup)) {
      this.latched = true;
      this.logger.info({}, 'probekit: startup complete');
      this.changed();
      this.events.startup();
    }
  }

  private record(entry: Entry, outcome: Outcome): void {
    const now = this.timers.now();
    const before = entry.state;
    const { state, transition } = applyResult(before, outcome, entry.check, now);
    // O(1) whatever the number of checks: the members are the entries, so only the version moves.
    entry.state = state;
    entry.runs++;
    this.runCount++;
    this.version++;
    const result = resultOf(outcome);
    entry.history.push(now, result, outcome.durationMs);
    const substantial = changesSubstance(before, state);
    if (substantial) {
      entry.substance++;
      this.substance.all++;
      for (const p of entry.memberOf) this.substance[p]++;
    }
    this.events.run({ name: entry.check.name, result, durationMs: outcome.durationMs, at: now, status: state.status });
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
        // A safe copy, never the check's own error object: a frozen error or a throwing getter must not reach pino.
        const err = loggableError(outcome.ok ? undefined : outcome.error, state.errorText ?? 'failed');
        this.logger.warn({ ...fields, err }, `probekit: check ${event.name} is failing`);
      } else {
        this.logger.info(fields, `probekit: check ${event.name} is passing`);
      }
      this.events.change();
      this.events.transition(event);
    } else if (substantial) {
      // The output or the error text moved without a transition: the bodies show it, so the answer changed.
      this.events.change();
    }
    this.updateLatch();
  }
}

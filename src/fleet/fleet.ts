import { Resolver } from 'node:dns/promises';
import type { Server } from 'node:net';
import type { SafeLogger } from '../core/logger.js';
import type { NormalizedCheck } from '../core/options.js';
import type { CheckStatus, RunEvent, Timers } from '../core/types.js';
import { DiscoveryError, discover, type Listening, ownEndpoints, probePort } from './discovery.js';
import type { NormalizedFleet } from './options.js';
import { askPeer, showPeer } from './query.js';
import { decide, pick, type Verdict } from './quorum.js';

/** A change of a shared check's fleet-wide state, emitted as the `fleet` event, and one row of `health.sharedStatus()`. */
export interface FleetEvent {
  /** The shared check. */
  check: string;
  /** Peers that saw it failing too, in the last round. */
  failing: number;
  /** Peers that gave a usable answer in the last round. */
  answered: number;
  /** True while the check fails on a quorum of the peers too: `/ready` then answers 200 `warn`. */
  shared: boolean;
}

/** What the fleet view needs from its registry. */
export interface FleetHost {
  readonly logger: SafeLogger;
  readonly timers: Timers;
  /** Marks a shared check as failing fleet-wide (the reason `/ready` shows), or not (`undefined`). */
  setShared(check: string, reason: string | undefined): void;
  /** Tells listeners (the `fleet` event). */
  emit(event: FleetEvent): void;
}

interface SharedCheck {
  readonly name: string;
  status: CheckStatus;
  /** The last round's outcome, until the check passes again. */
  verdict: Verdict | undefined;
  /** The round in progress: at most one per check, so a round that outlives an interval does not pile up. */
  round: AbortController | undefined;
  /** `/ready` is kept at `warn` because of it (failing here and on a quorum of the peers). */
  outage: boolean;
  /** What was already logged in this failing episode, so a lasting cause is logged once. */
  logged: Set<string>;
}

/**
 * The fleet view: for each shared check, while it fails (from its first failed run on), one round per run of the
 * check: up to `sample` random peers are asked for their own state of it, each within `timeout`. Nothing is sent
 * while the shared checks pass, and nothing on a probe hit. The verdict of the last round is handed to the registry,
 * which counts a failing shared check with a fleet-wide verdict as a warning for `/ready`.
 */
export class FleetView {
  private readonly checks = new Map<string, SharedCheck>();
  private readonly servers = new Set<Server>();
  private readonly resolver: Resolver;
  private stopped = false;

  constructor(
    private readonly fleet: NormalizedFleet,
    private readonly host: FleetHost,
  ) {
    this.resolver = new Resolver({ timeout: fleet.timeout, tries: 1 });
    if (fleet.dnsServers !== undefined) this.resolver.setServers([...fleet.dnsServers]);
  }

  /** Follows a shared check. Only a critical readiness check can be kept in by its peers; others are left as they are. */
  add(check: NormalizedCheck): void {
    if (!check.shared || !check.critical || !check.ready) return;
    this.checks.set(check.name, {
      name: check.name,
      status: 'unknown',
      verdict: undefined,
      round: undefined,
      outage: false,
      logged: new Set(),
    });
  }

  /** A server this registry serves probes on: its port is the default peer port, and its address is never asked. */
  serve(server: Server): () => void {
    this.servers.add(server);
    return () => this.servers.delete(server);
  }

  /** The state of every shared check, for `health.sharedStatus()` and the metrics. */
  status(): FleetEvent[] {
    return [...this.checks.values()].map((c) => this.eventOf(c));
  }

  /** A run of a check ended: a shared check that failed (or still fails) gets a round, unless one is running. */
  onRun(event: RunEvent): void {
    const c = this.checks.get(event.name);
    if (c === undefined || this.stopped) return;
    c.status = event.status;
    if (event.result === 'success' && event.status !== 'fail') {
      // It passes here again: nothing to ask, and no verdict to keep.
      c.round?.abort();
      c.verdict = undefined;
      c.logged.clear();
      this.host.setShared(c.name, undefined);
      this.update(c);
      return;
    }
    // The check may have just turned `fail` with a fleet-wide verdict from a round of an earlier failed run.
    this.update(c);
    if (c.round === undefined) void this.round(c);
  }

  /** Ends the rounds in progress; no new one starts. */
  stop(): void {
    this.stopped = true;
    for (const c of this.checks.values()) c.round?.abort();
    this.resolver.cancel();
  }

  private listening(): Listening[] {
    const out: Listening[] = [];
    for (const s of this.servers) {
      const a = s.address();
      if (a !== null && typeof a === 'object') out.push({ address: a.address, port: a.port });
    }
    return out;
  }

  /** A signal that aborts after `fleet.timeout`, or with the round. */
  private deadline(round: AbortSignal, what: string): { signal: AbortSignal; clear(): void } {
    const ac = new AbortController();
    const onRound = () => ac.abort();
    round.addEventListener('abort', onRound, { once: true });
    const t = this.host.timers.setTimeout(
      () => ac.abort(new DiscoveryError(`${what} did not answer within ${this.fleet.timeout} ms`, 'timeout')),
      this.fleet.timeout,
    );
    return {
      signal: ac.signal,
      clear: () => {
        this.host.timers.clearTimeout(t);
        round.removeEventListener('abort', onRound);
      },
    };
  }

  private async round(c: SharedCheck): Promise<void> {
    const ac = new AbortController();
    c.round = ac;
    try {
      const servers = this.listening();
      const port = probePort(this.fleet.port, servers);
      const own = ownEndpoints(servers, this.fleet.port);
      const found = this.deadline(ac.signal, 'peer discovery');
      let peers: Awaited<ReturnType<typeof discover>>;
      try {
        peers = await discover(this.fleet, this.resolver, own, port, found.signal);
      } catch (err) {
        if (ac.signal.aborted) return;
        const why = err instanceof DiscoveryError ? err.message : 'peer discovery failed';
        this.once(c, `discovery ${why}`, { check: c.name, reason: why }, `probekit: ${why}: check ${c.name} fails closed`);
        return this.apply(c, decide(c.name, [], this.fleet.quorum));
      } finally {
        found.clear();
      }
      const asked = pick(
        peers.filter((p) => (p.port ?? port) !== undefined),
        this.fleet.sample,
      );
      if (asked.length === 0) {
        const why = peers.length > 0 ? 'no peer port (set `fleet.port`, or attach the server)' : 'no peers found';
        this.once(c, why, { check: c.name }, `probekit: fleet: ${why}: check ${c.name} fails closed`);
        return this.apply(c, decide(c.name, [], this.fleet.quorum));
      }
      const answers = this.deadline(ac.signal, 'the peers');
      const replies = await Promise.all(
        asked.map((p) => askPeer(p.host, (p.port ?? port) as number, this.fleet.path, c.name, answers.signal)),
      ).finally(() => answers.clear());
      if (ac.signal.aborted) return;
      const verdict = decide(c.name, replies, this.fleet.quorum);
      if (verdict.answered === 0) {
        const why = asked.map(
          (p, i) => `${showPeer(p.host, (p.port ?? port) as number)}: ${(replies[i] as { why?: string }).why}`,
        );
        this.once(
          c,
          'no answer',
          { check: c.name, peers: why },
          `probekit: no peer answered for check ${c.name}: it fails closed`,
        );
      }
      this.apply(c, verdict);
    } finally {
      if (c.round === ac) c.round = undefined;
    }
  }

  private apply(c: SharedCheck, verdict: Verdict): void {
    if (this.stopped || c.round?.signal.aborted === true) return;
    c.verdict = verdict;
    this.host.setShared(c.name, verdict.shared ? verdict.reason : undefined);
    this.update(c);
  }

  /** Logs and emits a change of the outage state, once per change. */
  private update(c: SharedCheck): void {
    const outage = c.status === 'fail' && c.verdict?.shared === true;
    if (outage === c.outage) return;
    c.outage = outage;
    const event = this.eventOf(c);
    const fields = { check: c.name, failing: event.failing, answered: event.answered, shared: outage };
    if (outage) {
      this.host.logger.warn(fields, `probekit: ${c.verdict?.reason}: readiness stays up (warn)`);
    } else if (c.status === 'fail') {
      this.host.logger.warn(fields, `probekit: check ${c.name} no longer fails on a quorum of peers: readiness fails`);
    } else {
      this.host.logger.info(fields, `probekit: check ${c.name} passes again: shared outage over`);
    }
    this.host.emit(event);
  }

  private eventOf(c: SharedCheck): FleetEvent {
    return { check: c.name, failing: c.verdict?.failing ?? 0, answered: c.verdict?.answered ?? 0, shared: c.outage };
  }

  private once(c: SharedCheck, key: string, fields: object, msg: string): void {
    if (c.logged.has(key)) return;
    c.logged.add(key);
    this.host.logger.warn(fields, msg);
  }
}

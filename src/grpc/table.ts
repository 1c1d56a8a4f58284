import type { HealthLike } from '../core/health-like.js';
import { RESPONSES, type StatusMessage, type WireStatus } from './definition.js';
import { BUILT_IN, type NormalizedTarget } from './options.js';
import type { Watcher } from './watcher.js';

/** What the table reads from the registry: the answer of a probe, and whether the shutdown began. */
export type StatusSource = Pick<HealthLike, 'evaluate' | 'isShuttingDown'>;

interface Row {
  readonly target: NormalizedTarget;
  status: 'SERVING' | 'NOT_SERVING';
}

/**
 * Every service name, its cached status, and the Watch streams per name (names not known yet included). The statuses
 * are computed on `refresh()`, that is on the registry's 'change' event, never per RPC.
 */
export class ServiceTable {
  private readonly rows = new Map<string, Row>();
  private readonly watchers = new Map<string, Set<Watcher>>();
  private watching = 0;
  /** The List answer, built on the first List after a change. */
  private list: { statuses: Record<string, StatusMessage> } | undefined;

  constructor(
    private readonly source: StatusSource,
    extra: ReadonlyMap<string, NormalizedTarget>,
  ) {
    for (const [name, target] of BUILT_IN) this.rows.set(name, { target, status: this.compute(target) });
    for (const [name, target] of extra) this.rows.set(name, { target, status: this.compute(target) });
  }

  /** The cached status of a known service, or undefined. */
  status(name: string): 'SERVING' | 'NOT_SERVING' | undefined {
    return this.rows.get(name)?.status;
  }

  /** What a Watch stream for `name` is told now. */
  wireStatus(name: string): WireStatus {
    return this.rows.get(name)?.status ?? 'SERVICE_UNKNOWN';
  }

  /** The known names, built-in ones first. */
  names(): string[] {
    return [...this.rows.keys()];
  }

  get size(): number {
    return this.rows.size;
  }

  /** Open Watch streams. */
  get watcherCount(): number {
    return this.watching;
  }

  /** The List answer: every known service with its status (a shared object, rebuilt only after a change). */
  listMessage(): { statuses: Record<string, StatusMessage> } {
    if (this.list === undefined) {
      const statuses: Record<string, StatusMessage> = {};
      for (const [name, row] of this.rows) statuses[name] = RESPONSES[row.status];
      this.list = { statuses };
    }
    return this.list;
  }

  /** Adds or replaces a service and tells its watchers (SERVICE_UNKNOWN ones included) its status. */
  set(name: string, target: NormalizedTarget): void {
    const row = { target, status: this.compute(target) };
    this.rows.set(name, row);
    this.list = undefined;
    this.notify(name, row.status);
  }

  /** Removes a service added with `set`; its watchers get SERVICE_UNKNOWN. Built-in names stay. */
  delete(name: string): boolean {
    if (BUILT_IN.has(name) || !this.rows.delete(name)) return false;
    this.list = undefined;
    this.notify(name, 'SERVICE_UNKNOWN');
    return true;
  }

  /** Recomputes every status from the registry; watchers of a service whose status changed are told. */
  refresh(): void {
    for (const [name, row] of this.rows) {
      const status = this.compute(row.target);
      if (status === row.status) continue;
      row.status = status;
      this.list = undefined;
      this.notify(name, status);
    }
  }

  /** Registers a watcher (for a known name or not) and returns the function that unregisters it. */
  watch(watcher: Watcher): () => void {
    let set = this.watchers.get(watcher.service);
    if (set === undefined) {
      set = new Set();
      this.watchers.set(watcher.service, set);
    }
    set.add(watcher);
    this.watching++;
    return () => {
      const current = this.watchers.get(watcher.service);
      if (current?.delete(watcher) !== true) return;
      this.watching--;
      // An emptied set is dropped: clients choose the names, and unknown ones must not pile up.
      if (current.size === 0) this.watchers.delete(watcher.service);
    };
  }

  private notify(name: string, status: WireStatus): void {
    const set = this.watchers.get(name);
    if (set === undefined) return;
    for (const w of set) w.push(status);
  }

  private compute(target: NormalizedTarget): 'SERVING' | 'NOT_SERVING' {
    // Every service but liveness turns NOT_SERVING on the signal, as `/ready` does; `/live` stays up.
    if (this.source.isShuttingDown && target.probe !== 'live') return 'NOT_SERVING';
    // `warn` (a failing non-critical check) serves, as it answers 200 over HTTP.
    return this.source.evaluate(target.probe, target.checks) === 'fail' ? 'NOT_SERVING' : 'SERVING';
  }
}

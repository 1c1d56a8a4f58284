import type { RunResult } from './types.js';

/** One recorded run, as {@link History} keeps it. */
export interface HistoryEntry {
  /** End of the run, ms since the epoch. */
  readonly at: number;
  readonly result: RunResult;
  readonly durationMs: number;
}

/**
 * The last `size` run results of one check, in a fixed ring: memory stays the same however long the service runs.
 * `size` 0 keeps nothing.
 */
export class History {
  private readonly ring: (HistoryEntry | undefined)[];
  private next = 0;
  private count = 0;

  constructor(readonly size: number) {
    this.ring = new Array(size);
  }

  push(entry: HistoryEntry): void {
    if (this.size === 0) return;
    this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.size;
    if (this.count < this.size) this.count++;
  }

  /** The entries, oldest first. */
  entries(): HistoryEntry[] {
    const out: HistoryEntry[] = [];
    const start = (this.next - this.count + this.size) % Math.max(1, this.size);
    for (let i = 0; i < this.count; i++) out.push(this.ring[(start + i) % this.size] as HistoryEntry);
    return out;
  }

  /** The last `n` entries (at most all of them), oldest first: reads only those, whatever the ring's size. */
  latest(n: number): HistoryEntry[] {
    const k = Math.max(0, Math.min(n, this.count));
    const out: HistoryEntry[] = new Array(k);
    for (let i = 0; i < k; i++) out[i] = this.ring[(this.next - k + i + this.size) % this.size] as HistoryEntry;
    return out;
  }
}

import type { RunResult } from './types.js';

/** One recorded run, as {@link History} keeps it. */
export interface HistoryEntry {
  /** End of the run, ms since the epoch. */
  readonly at: number;
  readonly result: RunResult;
  readonly durationMs: number;
}

/** The results in the order {@link History} codes them. */
const RESULTS: readonly RunResult[] = ['success', 'failure', 'timeout', 'pending'];
const CODE: Readonly<Record<RunResult, number>> = { success: 0, failure: 1, timeout: 2, pending: 3 };

/**
 * The last `size` run results of one check, in a fixed ring: memory stays the same however long the service runs.
 * `size` 0 keeps nothing. The ring is three typed arrays, not one object per run: a run allocates nothing here, and
 * the old generation of the heap does not fill with entries that live for `size` runs (their garbage kept the
 * garbage collector's threads busy). Entries are made when read.
 */
export class History {
  private readonly at: Float64Array;
  private readonly durationMs: Float64Array;
  private readonly result: Uint8Array;
  private next = 0;
  private count = 0;

  constructor(readonly size: number) {
    this.at = new Float64Array(size);
    this.durationMs = new Float64Array(size);
    this.result = new Uint8Array(size);
  }

  push(at: number, result: RunResult, durationMs: number): void {
    if (this.size === 0) return;
    const i = this.next;
    this.at[i] = at;
    this.durationMs[i] = durationMs;
    this.result[i] = CODE[result];
    this.next = (i + 1) % this.size;
    if (this.count < this.size) this.count++;
  }

  /** The entries, oldest first. */
  entries(): HistoryEntry[] {
    return this.latest(this.count);
  }

  /** The last `n` entries (at most all of them), oldest first: reads only those, whatever the ring's size. */
  latest(n: number): HistoryEntry[] {
    const k = Math.max(0, Math.min(n, this.count));
    const out: HistoryEntry[] = new Array(k);
    for (let j = 0; j < k; j++) {
      const i = (this.next - k + j + this.size) % this.size;
      out[j] = {
        at: this.at[i] as number,
        result: RESULTS[this.result[i] as number] as RunResult,
        durationMs: this.durationMs[i] as number,
      };
    }
    return out;
  }
}

// Per-variant summaries over the rounds: medians, spread, sums. Pure.
import type { Variant } from './variants.js';
import type { LoadResult } from './wrk.js';

/** One measured round of one variant. */
export interface RoundResult {
  readonly round: number;
  readonly load: LoadResult;
  /** Server RSS in kB, read from /proc after the measured load. */
  readonly rssKb: number;
  /** Body size of the answer checked before the load. */
  readonly bodyBytes: number;
}

/** A variant over all its rounds. `skipped` carries why it was not measured. */
export interface VariantSummary {
  readonly id: string;
  readonly label: string;
  readonly baseline: string | undefined;
  readonly skipped?: string;
  readonly rounds: readonly RoundResult[];
  /** Medians over the rounds. */
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly rssMb: number;
  /** (max - min) / median of requests/s over the rounds: the run's own noise (NaN for one round). */
  readonly spread: number;
  readonly non2xx: number;
  readonly socketErrors: number;
  readonly requests: number;
  readonly bodyBytes: number;
  /** Median requests/s over the baseline's, or undefined (a baseline, or the baseline was not measured). */
  readonly ratio: number | undefined;
  /** Median requests/s over bare Fastify's, when bare Fastify ran. */
  readonly vsFastify: number | undefined;
}

/** The median (mean of the two middle values for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

function base(v: Variant, rounds: readonly RoundResult[], skipped: string | undefined) {
  const rps = rounds.map((r) => r.load.rps);
  const m = median(rps);
  return {
    id: v.id,
    label: v.label,
    baseline: v.baseline,
    ...(skipped !== undefined && { skipped }),
    rounds,
    rps: m,
    p50: median(rounds.map((r) => r.load.latency.p50)),
    p99: median(rounds.map((r) => r.load.latency.p99)),
    rssMb: median(rounds.map((r) => r.rssKb)) / 1024,
    spread: rps.length > 1 ? (Math.max(...rps) - Math.min(...rps)) / m : Number.NaN,
    non2xx: sum(rounds.map((r) => r.load.non2xx)),
    socketErrors: sum(rounds.map((r) => r.load.socketErrors)),
    requests: sum(rounds.map((r) => r.load.requests)),
    bodyBytes: median(rounds.map((r) => r.bodyBytes)),
  };
}

/** Summarises every variant and fills in the ratios against baselines measured in the same run. */
export function summarise(
  variants: readonly Variant[],
  results: ReadonlyMap<string, RoundResult[]>,
  skipped: ReadonlyMap<string, string>,
): VariantSummary[] {
  const partial = variants.map((v) => base(v, results.get(v.id) ?? [], skipped.get(v.id)));
  const rpsOf = (id: string | undefined) => {
    const s = partial.find((p) => p.id === id);
    return s !== undefined && s.rounds.length > 0 ? s.rps : undefined;
  };
  return partial.map((p) => {
    const b = rpsOf(p.baseline);
    const f = rpsOf('fastify-bare');
    const measured = p.rounds.length > 0;
    return {
      ...p,
      ratio: measured && b !== undefined ? p.rps / b : undefined,
      vsFastify: measured && f !== undefined ? p.rps / f : undefined,
    };
  });
}

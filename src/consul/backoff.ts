/**
 * The delay before the next registration attempt after `failures` failed ones in a row: exponential from `initial`,
 * capped at `max`, with "equal jitter" (half of it fixed, half random), so that the instances of a fleet that lost
 * their agent together do not all come back in the same millisecond, and a delay never collapses to zero.
 * Pure: `random` is injected (default `Math.random`).
 */
export function retryDelay(failures: number, initial: number, max: number, random: () => number = Math.random): number {
  // 2^30 already exceeds any timer; the cap keeps the power finite for a service that retries for weeks.
  const base = Math.min(max, initial * 2 ** Math.min(Math.max(failures - 1, 0), 30));
  return Math.max(1, Math.round(base / 2 + (random() * base) / 2));
}

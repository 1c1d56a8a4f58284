/** What one peer said about a check: its own last run failed, passed, or it gave no usable answer (with why). */
export type PeerAnswer =
  | { readonly kind: 'failing' }
  | { readonly kind: 'passing' }
  | { readonly kind: 'none'; readonly why: string };

/** The outcome of one round of peer questions for one check. */
export interface Verdict {
  /** At least `quorum` of the peers that answered see the check failing too. */
  readonly shared: boolean;
  /** Peers that see it failing. */
  readonly failing: number;
  /** Peers that gave a usable answer (failing or passing). */
  readonly answered: number;
  /** The text `/ready` shows while the outage is shared, e.g. `db failing on 4 of 5 peers: shared outage`. */
  readonly reason: string;
}

/**
 * The quorum rule. Pure. A failure is shared when at least one peer answered and `failing / answered >= quorum`;
 * with no usable answer it is not (fail closed): silence never keeps a pod in.
 */
export function decide(check: string, answers: readonly PeerAnswer[], quorum: number): Verdict {
  let failing = 0;
  let answered = 0;
  for (const a of answers) {
    if (a.kind === 'none') continue;
    answered++;
    if (a.kind === 'failing') failing++;
  }
  // A division, not `failing >= quorum * answered`: 7 >= 0.7 * 10 is false in floating point.
  const shared = answered > 0 && failing / answered >= quorum;
  return { shared, failing, answered, reason: `${check} failing on ${failing} of ${answered} peers: shared outage` };
}

/** Up to `n` items of `list`, picked at random without repeats (a partial Fisher-Yates shuffle of a copy). */
export function pick<T>(list: readonly T[], n: number, random: () => number = Math.random): T[] {
  const copy = [...list];
  const count = Math.min(n, copy.length);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (copy.length - i));
    const tmp = copy[i] as T;
    copy[i] = copy[j] as T;
    copy[j] = tmp;
  }
  return copy.slice(0, count);
}

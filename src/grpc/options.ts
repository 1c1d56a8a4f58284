import { showValue as show } from '../core/errors.js';
import type { Probe } from '../index.js';
import { InvalidOptionError } from '../index.js';

/**
 * What a gRPC service name follows: a probe (`'live'`, `'ready'`, `'startup'`), or a list of check names. A list is
 * SERVING while those checks pass, with readiness's gates (shutdown, holds, startup) applied, as on `/ready`.
 */
export type ServiceTarget = Probe | readonly string[];

/** Options of {@link grpcHealth}. */
export interface GrpcHealthOptions {
  /**
   * More service names, e.g. `{ 'shop.Orders': ['mysql', 'kafka'] }`. The built-in names `''` (the whole server,
   * as `/ready`), `liveness`, `readiness` and `startup` are always there and cannot be redefined. Default none.
   */
  services?: Readonly<Record<string, ServiceTarget>>;
}

/** A target after validation: the probe whose rules apply, and the checks that count (all of the probe's if absent). */
export interface NormalizedTarget {
  readonly probe: Probe;
  readonly checks: readonly string[] | undefined;
}

const PROBE_NAMES: readonly string[] = ['live', 'ready', 'startup'];

/** The names every server has, and what they follow. */
export const BUILT_IN: ReadonlyMap<string, NormalizedTarget> = new Map<string, NormalizedTarget>([
  ['', Object.freeze({ probe: 'ready', checks: undefined })],
  ['liveness', Object.freeze({ probe: 'live', checks: undefined })],
  ['readiness', Object.freeze({ probe: 'ready', checks: undefined })],
  ['startup', Object.freeze({ probe: 'startup', checks: undefined })],
]);

/** Longest service name accepted in the options (gRPC puts no limit; this only catches mistakes). */
const MAX_NAME = 200;

/**
 * Validates one service name and target. Returns a new frozen target; never keeps the caller's array.
 * @throws InvalidOptionError for a built-in or bad name, or a target that is neither a probe nor a list of names.
 */
export function normalizeTarget(name: unknown, target: unknown, where = 'services'): NormalizedTarget {
  if (typeof name !== 'string' || name.length > MAX_NAME) {
    throw new InvalidOptionError(`Expected a service name in \`${where}\` to be a string of at most ${MAX_NAME} characters`);
  }
  if (BUILT_IN.has(name)) {
    throw new InvalidOptionError(`Expected \`${where}\` not to redefine the built-in service name \`${show(name)}\``);
  }
  if (typeof target === 'string') {
    if (!PROBE_NAMES.includes(target)) {
      throw new InvalidOptionError(
        `Expected \`${where}[${show(name)}]\` to be 'live', 'ready', 'startup' or a list of check names, got \`${show(target)}\``,
      );
    }
    return Object.freeze({ probe: target as Probe, checks: undefined });
  }
  if (!Array.isArray(target) || target.some((c) => typeof c !== 'string' || c.length === 0)) {
    throw new InvalidOptionError(
      `Expected \`${where}[${show(name)}]\` to be 'live', 'ready', 'startup' or a list of check names, got \`${show(target)}\``,
    );
  }
  return Object.freeze({ probe: 'ready', checks: Object.freeze([...new Set(target as string[])]) });
}

/**
 * Validates the options once and returns the extra services, in the order given.
 * @throws InvalidOptionError for unknown keys or a bad service entry.
 */
export function normalizeGrpcOptions(input: unknown): ReadonlyMap<string, NormalizedTarget> {
  if (input === undefined) return new Map();
  if (input === null || typeof input !== 'object') {
    throw new InvalidOptionError(`Expected options to be an object, got \`${show(input)}\``);
  }
  for (const key of Object.keys(input)) {
    if (key !== 'services') throw new InvalidOptionError(`Unknown option \`${key}\``);
  }
  const services = (input as GrpcHealthOptions).services ?? {};
  if (services === null || typeof services !== 'object' || Array.isArray(services)) {
    throw new InvalidOptionError(`Expected \`services\` to be an object, got \`${show(services)}\``);
  }
  const out = new Map<string, NormalizedTarget>();
  for (const [name, target] of Object.entries(services)) out.set(name, normalizeTarget(name, target));
  return out;
}

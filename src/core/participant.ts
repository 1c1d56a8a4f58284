import type { OpenWork } from './drain-target.js';
import { InvalidOptionError, showValue } from './errors.js';

/**
 * When a participant's `close` runs, relative to the others: the close step walks the phases in this order and, within
 * a phase, the participants in reverse order of joining (the last one set up is the first one torn down).
 * - `hooks`: the app's cleanup hooks (`onShutdown`), pools and clients it closes itself.
 * - `app`: a framework's own close (Fastify's `app.close()`, which runs its `onClose` hooks) and integrations that
 *   leave last (the Consul deregistration).
 * - `schedule`: the check timers stop; no run starts from here on.
 * - `checks`: each check's own `close()`.
 */
export const CLOSE_PHASES = ['hooks', 'app', 'schedule', 'checks'] as const;

/** See {@link CLOSE_PHASES}. */
export type ClosePhase = (typeof CLOSE_PHASES)[number];

/**
 * Something that takes part in the end of a registry's life: an HTTP or gRPC server, the watch streams, a Consul
 * registration, a framework, a cleanup hook, a check's `close()`. Every step is optional; the shutdown sequence reads
 * them phase by phase, and `health.close()` (an app closing itself, no signal) runs the `close` steps alone:
 * 1. `announce` at the signal, with readiness already failing: tell the clients the instance is leaving (HTTP
 *    `Connection: close`, HTTP/2 GOAWAY, Consul maintenance). Synchronous; it must not wait for anything.
 * 2. `watchTraffic` during the shutdown delay: report each request that is not a probe (the adaptive delay).
 * 3. `drain` after the delay, all participants at once: take no new work, finish what is in flight.
 * 4. `close` after the drain, one at a time in {@link CLOSE_PHASES} order: release what it holds. At most once per
 *    registry, whichever of the signal, `health.close()` or the framework's own close gets there first.
 * 5. `destroy` at the shutdown deadline: end whatever is left, at once.
 * `openWork` says what is still open, for the log line of a deadline.
 */
export interface Participant {
  /** Shown in the log lines of each step (`http server`, `shutdown hook pool`, `check db`, ...). */
  readonly name: string;
  /** When `close` runs. Default `hooks`. */
  readonly phase?: ClosePhase;
  announce?(trigger: string): void;
  watchTraffic?(onTraffic: () => void): () => void;
  drain?(): Promise<void>;
  close?(): unknown;
  destroy?(): void;
  openWork?(): OpenWork;
}

const STEPS = ['announce', 'watchTraffic', 'drain', 'close', 'destroy', 'openWork'] as const;

/**
 * Checks a participant's shape once, when it joins.
 * @throws InvalidOptionError naming the call (`what`) and the bad field.
 */
export function validParticipant(value: unknown, what: string): Participant {
  if (value === null || typeof value !== 'object') {
    throw new InvalidOptionError(`Expected \`${what}\` to get an object, got \`${showValue(value)}\``);
  }
  const p = value as Record<string, unknown>;
  if (typeof p.name !== 'string' || p.name.length === 0) {
    throw new InvalidOptionError(
      `Expected the \`name\` given to \`${what}\` to be a non-empty string, got \`${showValue(p.name)}\``,
    );
  }
  if (p.phase !== undefined && !CLOSE_PHASES.includes(p.phase as ClosePhase)) {
    throw new InvalidOptionError(
      `Expected the \`phase\` given to \`${what}\` to be one of ${CLOSE_PHASES.join(', ')}, got \`${showValue(p.phase)}\``,
    );
  }
  for (const step of STEPS) {
    if (p[step] !== undefined && typeof p[step] !== 'function') {
      throw new InvalidOptionError(`Expected \`${step}\` given to \`${what}\` to be a function, got \`${showValue(p[step])}\``);
    }
  }
  return value as Participant;
}

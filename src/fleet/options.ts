import { Resolver } from 'node:dns/promises';
import { InvalidOptionError, showValue } from '../core/errors.js';
import { checkPath } from '../http/contract.js';

/** A peer as the `peers` function may give it: an address, or an address with a port (`10.0.0.7:8080`, `[fd00::7]:8080`). */
export type PeerAddress = string;

/** Options of the fleet view (`createHealth({ fleet })`): who the peers are and how they are asked. */
export interface FleetOptions {
  /**
   * The peers: a DNS name (a Kubernetes headless Service: every A and AAAA record is a peer), or a function returning
   * addresses (`'10.0.0.7'`, or with a port, `'10.0.0.7:8080'`). This instance's own addresses are left out.
   */
  peers: string | (() => readonly PeerAddress[] | Promise<readonly PeerAddress[]>);
  /** The port the peers serve the probes on. Default: the port of the server this registry is attached to. */
  port?: number;
  /** The readiness path the peers serve (`<path>/<check>` is asked). Default `/ready`. */
  path?: string;
  /** Share of the peers that answered which must see the check failing too for a shared outage, in (0, 1]. Default 0.5. */
  quorum?: number;
  /** Peers asked per round (picked at random), 1 to 100. Default 5. */
  sample?: number;
  /** Milliseconds the DNS lookup, and then each peer's answer, may take. Default 1000. */
  timeout?: number;
  /**
   * DNS servers to resolve `peers` with (`'10.96.0.10'`, `'127.0.0.1:5353'`), instead of the system's resolver:
   * for a sidecar DNS, or tests. Default: the system's.
   */
  dnsServers?: readonly string[];
}

/** The fleet options after validation. */
export interface NormalizedFleet {
  readonly peers: string | (() => readonly PeerAddress[] | Promise<readonly PeerAddress[]>);
  readonly port: number | undefined;
  readonly path: string;
  readonly quorum: number;
  readonly sample: number;
  readonly timeout: number;
  readonly dnsServers: readonly string[] | undefined;
}

const KNOWN = new Set(['peers', 'port', 'path', 'quorum', 'sample', 'timeout', 'dnsServers']);
const HOST_RE =
  /^(?=.{1,253}\.?$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*\.?$/;
function bad(option: string, expected: string, value: unknown): never {
  throw new InvalidOptionError(`Expected \`fleet.${option}\` to be ${expected}, got \`${showValue(value)}\``);
}

function int(option: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    bad(option, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

/**
 * Validates the `fleet` option once; `undefined` when it is not given.
 * @throws InvalidOptionError naming the option and the value (an unknown key, a `peers` that is neither a DNS name nor
 * a function, a `quorum` outside (0, 1], a DNS server address Node's resolver refuses, ...).
 */
export function normalizeFleet(input: unknown): NormalizedFleet | undefined {
  if (input === undefined) return undefined;
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidOptionError(
      `Expected \`fleet\` to be an object like { peers: 'app-headless' }, got \`${showValue(input)}\``,
    );
  }
  const o = input as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key)) throw new InvalidOptionError(`Unknown option \`fleet.${key}\``);
  }
  const peers = o.peers;
  if (typeof peers !== 'function' && (typeof peers !== 'string' || !HOST_RE.test(peers))) {
    bad('peers', 'a DNS name (a headless Service) or a function returning addresses', peers);
  }
  const port = o.port === undefined ? undefined : int('port', o.port, 1, 65535);
  const path = checkPath('fleet.path', o.path ?? '/ready', false, '/ready');
  const quorum = o.quorum ?? 0.5;
  if (typeof quorum !== 'number' || !(quorum > 0 && quorum <= 1)) bad('quorum', 'a number in (0, 1]', quorum);
  const sample = int('sample', o.sample ?? 5, 1, 100);
  const timeout = int('timeout', o.timeout ?? 1000, 1, 60_000);
  let dnsServers: readonly string[] | undefined;
  if (o.dnsServers !== undefined) {
    const list = o.dnsServers;
    if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === 'string')) {
      bad('dnsServers', 'a non-empty array of addresses like `10.96.0.10` or `127.0.0.1:5353`', list);
    }
    try {
      // The resolver's own parser decides, once, here: a server it would refuse later is refused now.
      new Resolver().setServers(list as string[]);
    } catch (err) {
      throw new InvalidOptionError(
        `Expected \`fleet.dnsServers\` to be addresses like \`127.0.0.1:5353\`, got \`${showValue(list)}\``,
        {
          cause: err,
        },
      );
    }
    dnsServers = Object.freeze([...(list as string[])]);
  }
  return Object.freeze({
    peers: peers as NormalizedFleet['peers'],
    port,
    path,
    quorum,
    sample,
    timeout,
    dnsServers,
  });
}

import type { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { abortable } from '../core/define.js';
import type { NormalizedFleet } from './options.js';

/** One peer to ask: an IP address and, when the `peers` function gave one, its port. */
export interface PeerTarget {
  readonly host: string;
  readonly port: number | undefined;
}

/** Where one of this instance's servers listens (`server.address()`). */
export interface Listening {
  readonly address: string;
  readonly port: number;
}

/** Why discovery found nobody to ask, for the log: the DNS error code, or what was wrong with the function's answer. */
export class DiscoveryError extends Error {
  override name = 'DiscoveryError';
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

/** An address as compared: lower case, an IPv4-mapped IPv6 address (`::ffff:10.0.0.7`) as the IPv4 one. */
export function normalizeAddress(address: string): string {
  const a = address.toLowerCase();
  return a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}

/** Reads one entry of the `peers` function's answer: an IP, `ip:port` or `[ipv6]:port`; `undefined` when it is none. */
export function parsePeer(entry: unknown): PeerTarget | undefined {
  if (typeof entry !== 'string') return undefined;
  if (isIP(entry) !== 0) return { host: normalizeAddress(entry), port: undefined };
  const m = /^\[([0-9A-Fa-f:.]+)\]:(\d{1,5})$/.exec(entry) ?? /^([0-9.]+):(\d{1,5})$/.exec(entry);
  if (m === null || isIP(m[1] as string) === 0) return undefined;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { host: normalizeAddress(m[1] as string), port } : undefined;
}

/** The port the peers are asked on: `fleet.port`, else the port of the first listening server this registry serves. */
export function probePort(fleetPort: number | undefined, servers: readonly Listening[]): number | undefined {
  return fleetPort ?? servers[0]?.port;
}

function interfaceAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) out.push(normalizeAddress(i.address));
  }
  return out;
}

/**
 * This instance's own endpoints (`address port`), which are never asked: a server bound to one address is that
 * address; one bound to every address (`0.0.0.0`, `::`) is every address of the machine's interfaces; `fleet.port`
 * with no server on it counts on every interface address too.
 */
export function ownEndpoints(
  servers: readonly Listening[],
  fleetPort: number | undefined,
  interfaces: () => string[] = interfaceAddresses,
): Set<string> {
  const own = new Set<string>();
  let all: string[] | undefined;
  const everywhere = (port: number) => {
    all ??= interfaces();
    for (const a of all) own.add(`${a} ${port}`);
  };
  for (const s of servers) {
    const address = normalizeAddress(s.address);
    if (address === '0.0.0.0' || address === '::') everywhere(s.port);
    else own.add(`${address} ${s.port}`);
  }
  if (fleetPort !== undefined && !servers.some((s) => s.port === fleetPort)) everywhere(fleetPort);
  return own;
}

async function resolveName(name: string, resolver: Resolver): Promise<PeerTarget[]> {
  const [v4, v6] = await Promise.allSettled([resolver.resolve4(name), resolver.resolve6(name)]);
  if (v4.status === 'rejected' && v6.status === 'rejected') {
    const code = (v4.reason as { code?: unknown })?.code;
    const reason = typeof code === 'string' ? code : 'error';
    throw new DiscoveryError(`peers \`${name}\` did not resolve (${reason})`, reason);
  }
  const addresses = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
  return addresses.map((a) => ({ host: normalizeAddress(a), port: undefined }));
}

async function callPeers(fn: () => unknown): Promise<PeerTarget[]> {
  let list: unknown;
  try {
    list = await fn();
  } catch {
    throw new DiscoveryError('the `peers` function failed', 'peers function failed');
  }
  if (!Array.isArray(list)) throw new DiscoveryError('the `peers` function did not return an array', 'not an array');
  const out: PeerTarget[] = [];
  // Entries that are no address are skipped: one bad entry must not hide the others.
  for (const entry of list.slice(0, 10_000)) {
    const p = parsePeer(entry);
    if (p !== undefined) out.push(p);
  }
  return out;
}

/**
 * The peers to ask, this instance left out, without duplicates: every A and AAAA record of the DNS name, or the
 * addresses the function returns. Given up when `signal` aborts (its deadline): a DNS server or a function that never
 * answers does not hold the round.
 * @throws DiscoveryError when the name does not resolve, or the function throws or returns something else; the
 * signal's reason when it aborts first.
 */
export async function discover(
  fleet: NormalizedFleet,
  resolver: Resolver,
  own: ReadonlySet<string>,
  port: number | undefined,
  signal: AbortSignal,
): Promise<PeerTarget[]> {
  const peers = fleet.peers;
  const found = await abortable(typeof peers === 'string' ? resolveName(peers, resolver) : callPeers(peers), signal);
  const seen = new Set<string>();
  const out: PeerTarget[] = [];
  for (const p of found) {
    const key = `${p.host} ${p.port ?? port}`;
    if (seen.has(key) || own.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return out;
}

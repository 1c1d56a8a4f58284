import { request } from 'node:http';
import type { PeerAnswer } from './quorum.js';

/** The most of a peer's body that is read: a probekit answer for one check is a few hundred bytes. */
const MAX_PEER_BODY = 64 * 1024;

const STATUSES = new Set(['pass', 'fail', 'unknown']);

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/**
 * Reads a peer's answer to `GET /ready/<check>`. Pure. Only probekit's JSON answer for that one check counts: an
 * object whose `status` is `pass` or `fail` and whose `checks` holds exactly that check, with a status and run
 * counters that agree with it. Anything else (a proxy's 503 page, another app's JSON, a 404) is no answer.
 * A peer sees the check failing when its own last run of it failed (`consecutiveFailures > 0`, whatever its
 * thresholds made of it yet), and passing when its last run passed; a check that has not run there yet is no answer.
 */
export function readPeerAnswer(body: string, check: string): PeerAnswer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { kind: 'none', why: 'not JSON' };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    return { kind: 'none', why: 'not a probekit answer' };
  const { status, checks } = parsed as Record<string, unknown>;
  if ((status !== 'pass' && status !== 'fail') || checks === null || typeof checks !== 'object') {
    return { kind: 'none', why: 'not a probekit answer' };
  }
  const names = Object.keys(checks);
  const entry = (checks as Record<string, unknown>)[check];
  if (names.length !== 1 || names[0] !== check || entry === null || typeof entry !== 'object') {
    return { kind: 'none', why: 'not an answer for this check' };
  }
  const e = entry as Record<string, unknown>;
  const failures = count(e.consecutiveFailures);
  const successes = count(e.consecutiveSuccesses);
  if (typeof e.status !== 'string' || !STATUSES.has(e.status) || failures === undefined || successes === undefined) {
    return { kind: 'none', why: 'not a probekit answer' };
  }
  // The single-check answer is `pass` exactly when the check is: a body that disagrees with itself is not probekit's.
  if ((status === 'pass') !== (e.status === 'pass')) return { kind: 'none', why: 'not a probekit answer' };
  if (failures > 0) return { kind: 'failing' };
  if (successes > 0) return { kind: 'passing' };
  return { kind: 'none', why: 'no result there yet' };
}

/** `host:port` for a message, IPv6 in brackets. */
export function showPeer(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Asks one peer for its own state of `check` (`GET <path>/<check>`), on a connection of its own (no keep-alive: a
 * round is rare, and a pooled socket to a peer that went away would only fail the next one). At most
 * {@link MAX_PEER_BODY} bytes are read. Resolves with `none` (and why) on any error, a body too large, or when
 * `signal` aborts (the round's deadline); never rejects.
 */
export function askPeer(host: string, port: number, path: string, check: string, signal: AbortSignal): Promise<PeerAnswer> {
  return new Promise<PeerAnswer>((resolve) => {
    let settled = false;
    const done = (answer: PeerAnswer) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      resolve(answer);
    };
    const req = request({
      host,
      port,
      method: 'GET',
      path: `${path}/${encodeURIComponent(check)}`,
      headers: { accept: 'application/json', 'user-agent': 'probekit-fleet', connection: 'close' },
      agent: false,
    });
    const onAbort = () => {
      req.destroy();
      done({ kind: 'none', why: 'no answer in time' });
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err: NodeJS.ErrnoException) => done({ kind: 'none', why: err.code ?? 'connection error' }));
    req.on('response', (res) => {
      const type = res.headers['content-type'] ?? '';
      const length = Number(res.headers['content-length'] ?? 0);
      if (!type.startsWith('application/json') || length > MAX_PEER_BODY) {
        res.destroy();
        req.destroy();
        return done({ kind: 'none', why: `HTTP ${res.statusCode} ${type.length > 0 ? type.split(';')[0] : 'without a type'}` });
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_PEER_BODY) {
          res.destroy();
          req.destroy();
          done({ kind: 'none', why: 'body too large' });
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', () => done({ kind: 'none', why: 'connection error' }));
      res.on('end', () => done(readPeerAnswer(Buffer.concat(chunks).toString('utf8'), check)));
    });
    req.end();
  });
}

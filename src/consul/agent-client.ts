import { codes, ProbekitError } from '../core/errors.js';
import { sanitizeText } from '../core/sanitize.js';
import type { NormalizedConsul } from './options.js';

/** What the agent answered: its status and (the start of) its body, which holds Consul's error text. */
export interface AgentAnswer {
  readonly status: number;
  /** The start of the body, with the token masked (see {@link NormalizedConsul.redact}). */
  readonly text: string;
  /** The body went on past {@link MAX_ANSWER_BYTES}: the stream was cut there. */
  readonly truncated: boolean;
}

/**
 * Most bytes of an answer read off the socket. Consul answers these PUTs with an empty body or one line of error
 * text; past this the stream is cancelled (which closes the connection), so a hostile or broken agent costs at most
 * this much memory, whatever it sends.
 */
const MAX_ANSWER_BYTES = 64 * 1024;

/** Consul's error bodies are one line; nothing longer is kept. */
const MAX_TEXT = 1024;

/** Reads at most `max` bytes of `body`, then cancels the stream. */
async function readCapped(
  body: ReadableStream<Uint8Array> | null,
  max: number,
): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  if (body === null) return { bytes: new Uint8Array(0), truncated: false };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { bytes: join(chunks, size), truncated: false };
      const room = max - size;
      chunks.push(value.length > room ? value.subarray(0, room) : value);
      size += Math.min(value.length, room);
      if (value.length > room || size >= max) {
        // At the cap: cancel rather than drain, whatever is left (it may never end).
        await reader.cancel().catch(() => {});
        return { bytes: join(chunks, size), truncated: true };
      }
    }
  } finally {
    reader.releaseLock();
  }
}

function join(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Sends one request to the agent's HTTP API with Node's fetch and reads the answer, bounded by `requestTimeout` and
 * by {@link MAX_ANSWER_BYTES}. A redirect is never followed (`redirect: 'manual'`): the 3xx comes back as the answer,
 * so the token and the registration never reach another origin. The limit is a timer of `cfg.timers`, not
 * `AbortSignal.timeout`, so that fake timers drive it (sinonjs/fake-timers#521); it aborts the request, body
 * included, with a ProbekitError `PROBEKIT_ERR_CONSUL_TIMEOUT` ("timed out after N ms"). `signal` aborts it too (a `close()`).
 * @throws what fetch throws: a TypeError (`cause` holds ECONNREFUSED and the like) or the abort reason.
 */
export async function agentRequest(
  cfg: NormalizedConsul,
  path: string,
  body?: string,
  signal?: AbortSignal,
): Promise<AgentAnswer> {
  const ac = new AbortController();
  const timer = cfg.timers.setTimeout(
    () => ac.abort(new ProbekitError(codes.CONSUL_TIMEOUT, `timed out after ${cfg.requestTimeout} ms`)),
    cfg.requestTimeout,
  );
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (cfg.token !== undefined) headers['x-consul-token'] = cfg.token;
  try {
    const res = await fetch(`${cfg.agent}${path}`, {
      method: 'PUT',
      headers,
      redirect: 'manual',
      ...(body !== undefined && { body }),
      signal: signal === undefined ? ac.signal : AbortSignal.any([ac.signal, signal]),
    });
    // Read to the end (or the cap) either way: an unread body would hold the keep-alive socket.
    const read = await readCapped(res.body, MAX_ANSWER_BYTES);
    // The whole read is redacted before it is cut: a cut through the token would leave a prefix no mask matches.
    const text = cfg.redact(new TextDecoder().decode(read.bytes));
    return { status: res.status, text: text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) : text, truncated: read.truncated };
  } finally {
    cfg.timers.clearTimeout(timer);
  }
}

/**
 * The text of an answer that is not a success, for a log line: the status, and the agent's error text sanitised. A
 * 3xx says it was not followed (the agent, or what answers in its place, sent the request elsewhere).
 */
export function answerError(answer: AgentAnswer): string {
  const { status } = answer;
  const text = sanitizeText(answer.text) || '(empty)';
  const cut = answer.truncated ? ` (answer cut at ${MAX_ANSWER_BYTES / 1024} KiB)` : '';
  if (status >= 300 && status < 400) return `the agent answered ${status}, a redirect (not followed): ${text}${cut}`;
  return `the agent answered ${status}: ${text}${cut}`;
}

/** The text of a failed request for a log line: fetch's own `fetch failed` says nothing, its `cause` does. */
export function requestError(error: unknown): unknown {
  if (error instanceof TypeError && error.cause !== undefined) return error.cause;
  return error;
}

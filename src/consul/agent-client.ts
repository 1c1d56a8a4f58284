import { CheckTimeoutError } from '../core/errors.js';
import type { NormalizedConsul } from './options.js';

/** What the agent answered: its status and (the start of) its body, which holds Consul's error text. */
export interface AgentAnswer {
  readonly status: number;
  readonly text: string;
}

/** Consul's error bodies are one line; nothing longer is kept. */
const MAX_TEXT = 1024;

/**
 * Sends one request to the agent's HTTP API with Node's fetch and reads the answer, bounded by `requestTimeout`.
 * The limit is a timer of `cfg.timers`, not `AbortSignal.timeout`, so that fake timers drive it (sinonjs/fake-timers#521);
 * it aborts the request with a CheckTimeoutError ("timed out after N ms"). `signal` aborts it too (a `close()`).
 * @throws what fetch throws: a TypeError (`cause` holds ECONNREFUSED and the like) or the abort reason.
 */
export async function agentRequest(
  cfg: NormalizedConsul,
  path: string,
  body?: string,
  signal?: AbortSignal,
): Promise<AgentAnswer> {
  const ac = new AbortController();
  const timer = cfg.timers.setTimeout(() => ac.abort(new CheckTimeoutError(cfg.requestTimeout)), cfg.requestTimeout);
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (cfg.token !== undefined) headers['x-consul-token'] = cfg.token;
  try {
    const res = await fetch(`${cfg.agent}${path}`, {
      method: 'PUT',
      headers,
      ...(body !== undefined && { body }),
      signal: signal === undefined ? ac.signal : AbortSignal.any([ac.signal, signal]),
    });
    // Read to the end either way: an unread body would hold the keep-alive socket.
    const text = await res.text();
    return { status: res.status, text: text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) : text };
  } finally {
    cfg.timers.clearTimeout(timer);
  }
}

/** The text of a failed request for a log line: fetch's own `fetch failed` says nothing, its `cause` does. */
export function requestError(error: unknown): unknown {
  if (error instanceof TypeError && error.cause !== undefined) return error.cause;
  return error;
}

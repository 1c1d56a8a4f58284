import type { IncomingMessage, ServerResponse } from 'node:http';
import { JSON_HEADERS, type ProbeResponse } from '../core/aggregate.js';
import { type ProbeState, StateReporter } from '../core/probe-state.js';
import type { Probe } from '../core/types.js';
import { badPath, fromSearch, type NormalizedHttp, respond } from '../http/contract.js';
import { matchProbePath, splitUrl } from '../http/paths.js';
import { BAD_REQUEST, send } from '../node-http/node.js';

const METHOD_NOT_ALLOWED: ProbeResponse = Object.freeze({
  statusCode: 405,
  status: 'error',
  headers: Object.freeze({ ...JSON_HEADERS, allow: 'GET, HEAD' }),
  body: '{"status":"error","error":"Method Not Allowed","message":"Probes answer GET and HEAD"}',
});

/** The reason `/live` and `/ready` give while the app's event loop has not turned for `maxBlockMs`. */
const BLOCKED = 'blocked';

/** The state as it reads while the app's loop is blocked: liveness broken, readiness held, both with `blocked`. */
function blockedState(state: ProbeState): ProbeState {
  const { gates } = state;
  return { ...state, gates: { ...gates, holds: [...gates.holds, BLOCKED], broken: [BLOCKED, ...(gates.broken ?? [])] } };
}

/**
 * The probe server's request handling, over the last published {@link ProbeState}: the same path matching, query
 * reading, content negotiation, rendering and wire form as the app's adapters (the contract's own functions), so
 * the answers are the app server's byte for byte. `blocked()` is read on every `/live` and `/ready` hit.
 */
export class ProbeAnswers {
  private reporter: StateReporter;
  private blockedReporter: StateReporter | undefined;

  constructor(
    private readonly http: NormalizedHttp<IncomingMessage>,
    private readonly blocked: () => boolean,
    state: ProbeState,
  ) {
    this.reporter = new StateReporter(state);
  }

  /** A new state from the app's thread. */
  update(state: ProbeState): void {
    this.reporter = new StateReporter(state);
    this.blockedReporter = undefined;
  }

  private reporterFor(probe: Probe): StateReporter {
    if (probe === 'startup' || !this.blocked()) return this.reporter;
    this.blockedReporter ??= new StateReporter(blockedState(this.reporter.state));
    return this.blockedReporter;
  }

  /** Answers one request: a probe path, else 404 (405 for a method other than GET and HEAD). */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD') {
      send(res, METHOD_NOT_ALLOWED, false);
      return;
    }
    const head = method === 'HEAD';
    const [path, search] = splitUrl(req.url);
    const match = matchProbePath(this.http.byPath, path);
    if (match === undefined || match.kind === 'bad-path') send(res, badPath(), head);
    else if (match.kind === 'malformed') send(res, BAD_REQUEST, head);
    else {
      const query = fromSearch(search);
      const request = { check: match.check, verbose: query.verbose, exclude: query.exclude, accept: req.headers.accept };
      send(res, respond(this.reporterFor(match.probe), this.http, match.probe, request, req), head);
    }
  };
}

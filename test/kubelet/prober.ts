// The kubelet's HTTP prober (an `httpGet` probe), reproduced as a test client with node:http. What it does, from
// k8s.io/kubernetes v1.37 pkg/probe/http/{http.go,request.go} and pkg/kubelet/prober/{prober.go,worker.go}:
// - GET `scheme://host:port/path`, the host being the pod IP (here 127.0.0.1); only plain HTTP here;
// - `User-Agent: kube-probe/<major>.<minor>` and `Accept: */*` unless `httpHeaders` override them, an empty value
//   removing the header (request.go `NewRequestForHTTPGetAction`);
// - the transport has `DisableKeepAlives` (Go then sends `Connection: close`) and `DisableCompression` (no
//   `Accept-Encoding`), and no proxy (http.go `New`);
// - `timeoutSeconds` is `http.Client.Timeout`: one deadline for the dial, every redirect, the headers and the body;
// - the body is read with `ReadAtMost(10 KiB)`; a longer one is truncated, which is not an error;
// - 200 <= code < 400 passes; a 3xx that was not followed is `Warning`, which the kubelet counts as Success and
//   records as a ProbeWarning event (prober.go); any other code fails with exactly
//   `HTTP probe failed with statuscode: <code>`, never the body (kubernetes/kubernetes#99425);
// - redirects (`followNonLocalRedirects` is false): one to another hostname is not followed, the 3xx itself is the
//   result (`http.ErrUseLastResponse`); same-host ones are followed, and the 10th is an error, so a failure
//   ("stopped after 10 redirects"); the hostname comparison ignores the port (`URL.Hostname()`).
import { type IncomingMessage, request } from 'node:http';
import { performance } from 'node:perf_hooks';

/** What the kubelet reads of a body: `maxRespBodyLength = 10 * 1 << 10` (http.go). */
export const MAX_BODY_BYTES = 10 * 1024;

/** The statuses Go's http.Client follows (client.go `redirectBehavior`); other 3xx are answers. */
const FOLLOWED = new Set([301, 302, 303, 307, 308]);

/** An `httpGet` probe as in a pod spec, plus `timeoutSeconds`. */
export interface HttpGetProbe {
  port: number;
  /** Default `/`. May hold a query. */
  path?: string;
  /** `httpGet.host`. Default the pod IP, here `127.0.0.1`. */
  host?: string;
  /** `httpGet.httpHeaders`. */
  httpHeaders?: readonly { name: string; value: string }[];
  /** Default 1, as the kubelet's. */
  timeoutSeconds?: number;
  /** The kubelet's version in the User-Agent. Default `1.37`. */
  version?: string;
}

/** One probe's result, as the prober reports it to the kubelet. */
export interface ProbeOutcome {
  /** `probe.Result`: Success, Warning (counted as success) or Failure. */
  result: 'success' | 'warning' | 'failure';
  /** The prober's output: the body on success, the failure message otherwise. */
  output: string;
  /** Of the last response; undefined when none came. */
  statusCode: number | undefined;
  /** What was read of the last body: at most {@link MAX_BODY_BYTES}. */
  body: string;
  truncated: boolean;
  /** Requests sent (1 + the redirects followed). */
  requests: number;
  elapsedMs: number;
}

/** The kubelet's verdict: a Warning counts as Success (prober.go `probe`). */
export function passed(o: ProbeOutcome): boolean {
  return o.result !== 'failure';
}

interface Answer {
  res: IncomingMessage;
  body: Buffer;
  truncated: boolean;
}

class DeadlineError extends Error {
  override name = 'DeadlineError';
}

/**
 * One request. When `follow(res)` names the next URL, the body is discarded (Go drains a redirect's body) and that
 * URL is returned; otherwise at most {@link MAX_BODY_BYTES} of the body are read.
 */
function once(
  url: URL,
  headers: Record<string, string>,
  signal: AbortSignal,
  follow: (res: IncomingMessage) => URL | undefined,
): Promise<Answer | URL> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers, agent: false, signal }, (res) => {
      const next = follow(res);
      if (next !== undefined) {
        res.destroy();
        return resolve(next);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      const done = (truncated: boolean) => {
        res.removeAllListeners('data');
        resolve({ res, body: Buffer.concat(chunks), truncated });
        // Like `Body.Close()` after ReadAtMost: the rest is not waited for, the connection goes.
        res.destroy();
      };
      res.on('data', (chunk: Buffer) => {
        const room = MAX_BODY_BYTES - size;
        chunks.push(chunk.subarray(0, room));
        size += Math.min(room, chunk.length);
        if (size >= MAX_BODY_BYTES) done(true);
      });
      res.on('end', () => done(false));
      res.on('error', (err) => reject(signal.aborted ? signal.reason : err));
      res.on('close', () => {
        if (!res.complete) reject(signal.aborted ? signal.reason : new Error('unexpected EOF'));
      });
    });
    req.on('error', (err) => reject(signal.aborted ? signal.reason : err));
    req.end();
  });
}

/** Runs one `httpGet` probe as the kubelet does. Never rejects. */
export async function kubeletHttpProbe(probe: HttpGetProbe): Promise<ProbeOutcome> {
  const started = performance.now();
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  const headers: Record<string, string> = { 'User-Agent': `kube-probe/${probe.version ?? '1.37'}`, Accept: '*/*' };
  for (const { name, value } of probe.httpHeaders ?? []) {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name;
    if (value === '' && (key === 'User-Agent' || key === 'Accept')) delete headers[key];
    else headers[key] = value;
  }
  headers.Connection = 'close';
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new DeadlineError('context deadline exceeded (Client.Timeout exceeded)')), timeoutMs);
  const first = new URL(`http://${probe.host ?? '127.0.0.1'}:${probe.port}${probe.path ?? '/'}`);
  let url = first;
  let requests = 0;
  const outcome = (result: ProbeOutcome['result'], output: string, a?: Answer): ProbeOutcome => ({
    result,
    output,
    statusCode: a?.res.statusCode,
    body: a?.body.toString('utf8') ?? '',
    truncated: a?.truncated ?? false,
    requests,
    elapsedMs: performance.now() - started,
  });
  try {
    let tooMany: URL | undefined;
    const follow = (res: IncomingMessage): URL | undefined => {
      const location = res.headers.location;
      if (!FOLLOWED.has(res.statusCode ?? 0) || location === undefined) return undefined;
      const next = new URL(location, url);
      // Another hostname: `http.ErrUseLastResponse`, the 3xx is the answer.
      if (next.hostname !== first.hostname) return undefined;
      if (requests >= 10) tooMany = next;
      return next;
    };
    for (;;) {
      requests++;
      const a = await once(url, headers, ac.signal, follow);
      if (tooMany !== undefined) return outcome('failure', `Get "${tooMany.href}": stopped after 10 redirects`);
      if (a instanceof URL) {
        url = a;
        continue;
      }
      const status = a.res.statusCode ?? 0;
      if (status >= 200 && status < 400) {
        if (status >= 300) return outcome('warning', `Probe terminated redirects, Response body: ${a.body}`, a);
        return outcome('success', a.body.toString('utf8'), a);
      }
      return outcome('failure', `HTTP probe failed with statuscode: ${status}`, a);
    }
  } catch (err) {
    return outcome('failure', `Get "${url.href}": ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

/** Options of {@link ProbeWorker}: the pod spec's fields, in ms for the test's scaled-down periods. */
export interface WorkerOptions {
  periodMs: number;
  failureThreshold: number;
  /** Must be 1 for liveness and startup probes. Default 1. */
  successThreshold?: number;
  /** The result before the first probe: Failure for readiness, Success for liveness (worker.go `initialValue`). */
  initial: 'success' | 'failure';
}

/**
 * The kubelet's probe loop for one probe of one container (worker.go `doProbe`): a probe every period, and the
 * container's result flips only after `failureThreshold` failures (or `successThreshold` successes) in a row.
 * For readiness a flip to failure is "out of the endpoints"; for liveness it is "restart the container".
 */
export class ProbeWorker {
  /** The kubelet's current result for the container. */
  state: 'success' | 'failure';
  /** Every probe run: when it started (ms since `start()`), and whether it passed. */
  readonly runs: { at: number; passed: boolean; output: string }[] = [];
  /** Every flip of `state`, in ms since `start()`. */
  readonly flips: { at: number; to: 'success' | 'failure' }[] = [];
  private lastResult: 'success' | 'failure' | undefined;
  private resultRun = 0;
  private timer: NodeJS.Timeout | undefined;
  private active = false;
  /** `performance.now()` at `start()`: the zero of `runs[].at` and `flips[].at`. */
  startedAt = 0;

  constructor(
    private readonly probe: () => Promise<ProbeOutcome>,
    private readonly options: WorkerOptions,
  ) {
    this.state = options.initial;
  }

  start(): void {
    this.active = true;
    this.startedAt = performance.now();
    void this.tick();
  }

  stop(): void {
    this.active = false;
    clearTimeout(this.timer);
  }

  private async tick(): Promise<void> {
    if (!this.active) return;
    const at = performance.now() - this.startedAt;
    const o = await this.probe();
    if (!this.active) return;
    const result = passed(o) ? 'success' : 'failure';
    this.runs.push({ at, passed: result === 'success', output: o.output });
    // worker.go: count the run of equal results; flip only once the threshold for that result is reached.
    this.resultRun = this.lastResult === result ? this.resultRun + 1 : 1;
    this.lastResult = result;
    const threshold = result === 'failure' ? this.options.failureThreshold : (this.options.successThreshold ?? 1);
    if (this.resultRun >= threshold && this.state !== result) {
      this.state = result;
      this.flips.push({ at: performance.now() - this.startedAt, to: result });
    }
    // A ticker, as the kubelet's: the next probe is due one period after this one started.
    this.timer = setTimeout(
      () => void this.tick(),
      Math.max(0, this.options.periodMs - (performance.now() - this.startedAt - at)),
    );
  }
}

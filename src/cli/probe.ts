// `probekit probe`: one request, one line, one exit code. The gRPC client is imported only for --grpc.
import {
  DEFAULT_STATUS,
  formatStatusSet,
  parseFlags,
  parseHttpUrl,
  parseStatusSet,
  REQUEST_FLAGS,
  type RequestSettings,
  requestSettings,
  statusAccepted,
  VERSION,
} from './args.js';
import { CliError, describe, exitCode, type Outcome, UsageError } from './errors.js';
import { httpGet } from './http-client.js';
import { capBytes, checkLines, oneLine, parseHealthBody } from './report.js';

const FLAGS = {
  ...REQUEST_FLAGS,
  grpc: { type: 'string' },
  service: { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  version: { type: 'boolean' },
  'exit-codes': { type: 'string' },
} as const;

/** Text of `probekit probe --help`. */
const PROBE_HELP = `usage: probekit probe URL [flags]
       probekit probe --grpc HOST:PORT [--service NAME] [flags]

One request, one line, then exit: 0 healthy, 1 anything else (Docker reserves 2).

  --grpc HOST:PORT         grpc.health.v1.Health/Check instead of an HTTP GET
  --service NAME           the service to ask about (gRPC; default "", the whole server)
  --timeout D              deadline of the whole probe, connection included (default 1s)
  --connect-timeout D      deadline of the connection alone (default: --timeout)
  -H, --header 'K: V'      request header (gRPC: metadata); repeatable
  --expect-status SET      healthy HTTP codes: 200, 200-299, 2xx, lists (default 200-399)
  --tls                    TLS for --grpc (an https:// URL turns it on by itself; --tls is redundant there)
  --tls-no-verify          do not verify the server's certificate
  --tls-ca-cert FILE       CA certificates to verify the server with (PEM)
  --tls-client-cert FILE   client certificate (PEM), with --tls-client-key FILE
  --tls-server-name NAME   SNI and the name the certificate must carry
  --user-agent TEXT        default probekit/${VERSION}
  --exit-codes detailed    grpc-health-probe's codes: 1 bad arguments, 2 connection failed or timed out,
                           3 request failed or timed out, 4 answered but unhealthy
  -v, --verbose            timings and the check list (read from the JSON body)
  --version                print the version

Durations are written as grpc-health-probe writes them: 1s, 500ms, 1.5s.
`;

/** A finished probe, before it is printed. */
interface Result {
  outcome: Outcome;
  line: string;
  details: string[];
}

/** HTTP headers the gRPC client sets itself, or that HTTP/2 forbids. */
const GRPC_RESERVED = new Set([
  'content-type',
  'te',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
]);
/** The body is read for the line and `-v` only; past this it is cut (a probekit body with 200 checks is ~70 kB). */
const MAX_BODY_BYTES = 1024 * 1024;

function ms(value: number): string {
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
}

function failureLine(err: CliError, target: string): string {
  const what = err.outcome === 'connect' ? 'connection' : 'request';
  return `${what} ${err.timedOut ? 'timed out' : 'failed'}: ${target}: ${oneLine(err.message)}`;
}

/** Where a probe is, for the line SIGTERM prints: the target once the flags are read, and whether it connected. */
interface Progress {
  target: string | undefined;
  connected: boolean;
  detailed: boolean;
}

async function probeHttp(url: URL, settings: RequestSettings, expectText: unknown, verbose: boolean, progress: Progress) {
  const expect = typeof expectText === 'string' ? parseStatusSet(expectText) : DEFAULT_STATUS;
  const target = oneLine(url.href, 200);
  progress.target = target;
  let answer: Awaited<ReturnType<typeof httpGet>>;
  try {
    const onConnect = () => {
      progress.connected = true;
    };
    answer = await httpGet({ url, settings, accept: 'application/json, */*;q=0.5', onConnect }, MAX_BODY_BYTES);
  } catch (err) {
    if (err instanceof CliError) return { outcome: err.outcome, line: failureLine(err, target), details: [] };
    throw err;
  }
  const body = parseHealthBody(answer.body);
  const said = body?.status === undefined ? '' : ` (${body.status}${body.reason === undefined ? '' : `: ${body.reason}`})`;
  const healthy = statusAccepted(expect, answer.statusCode);
  const line = healthy
    ? `healthy: ${target} answered ${answer.statusCode}${said} in ${ms(answer.totalMs)}`
    : `unhealthy: ${target} answered ${answer.statusCode}${said}, expected ${formatStatusSet(expect)}`;
  const details: string[] = [];
  if (verbose) {
    details.push(`  time elapsed: connect=${ms(answer.connectMs)} total=${ms(answer.totalMs)}`);
    if (body !== undefined) details.push(...checkLines(body));
    else if (answer.body.length > 0) details.push(`  body: ${oneLine(answer.body, 500)}`);
  }
  return { outcome: healthy ? 'healthy' : 'unhealthy', line, details } satisfies Result;
}

async function probeGrpc(address: string, settings: RequestSettings, service: string, verbose: boolean, progress: Progress) {
  for (const [name] of settings.headers) {
    if (GRPC_RESERVED.has(name.toLowerCase())) throw new UsageError(`--header ${name} cannot be set on a gRPC call`);
  }
  const { grpcHealthCheck, parseAddress } = await import('./grpc.js');
  const { host, port } = parseAddress(address);
  const target = `gRPC ${oneLine(address, 200)}${service === '' ? '' : ` service ${JSON.stringify(oneLine(service, 100))}`}`;
  progress.target = target;
  try {
    const answer = await grpcHealthCheck({
      host,
      port,
      authority: settings.tls?.servername ?? address,
      service,
      settings,
      onConnect: () => {
        progress.connected = true;
      },
    });
    const healthy = answer.status === 'SERVING';
    const line = `${healthy ? 'healthy' : 'unhealthy'}: ${target} ${answer.status} in ${ms(answer.totalMs)}`;
    const details = verbose
      ? [`  time elapsed: connect=${ms(answer.connectMs)} rpc=${ms(answer.totalMs - answer.connectMs)}`]
      : [];
    return { outcome: healthy ? 'healthy' : 'unhealthy', line, details } satisfies Result;
  } catch (err) {
    if (err instanceof CliError) return { outcome: err.outcome, line: failureLine(err, target), details: [] };
    throw err;
  }
}

async function run(argv: string[], progress: Progress): Promise<Result | string> {
  const { values, positionals } = parseFlags(argv, FLAGS);
  if (values.help) return PROBE_HELP;
  if (values.version) return `probekit ${VERSION}\n`;
  const codes = values['exit-codes'];
  if (codes !== undefined && codes !== 'detailed' && codes !== 'simple') {
    throw new UsageError(`--exit-codes: expected simple or detailed, got ${JSON.stringify(codes)}`);
  }
  const verbose = values.verbose === true;
  let probe: () => Promise<Result>;
  if (values.grpc !== undefined) {
    if (positionals.length > 0) throw new UsageError('give either a URL or --grpc HOST:PORT, not both');
    if (values['expect-status'] !== undefined) throw new UsageError('--expect-status is for HTTP; gRPC is healthy when SERVING');
    const settings = requestSettings(values, values.tls === true, 'add --tls');
    const address = values.grpc;
    probe = () => probeGrpc(address, settings, values.service ?? '', verbose, progress);
  } else {
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing URL' : 'expected one URL');
    const url = parseHttpUrl(positionals[0] as string);
    const secure = url.protocol === 'https:';
    // Redundant with an https:// URL (TLS is on already), so accepted there; with http:// it would be a lie.
    if (values.tls && !secure) throw new UsageError('--tls needs an https:// URL (or --grpc): an http:// URL is plain HTTP');
    if (values.service !== undefined) throw new UsageError('--service is for --grpc');
    const settings = requestSettings(values, secure, 'use an https:// URL');
    probe = () => probeHttp(url, settings, values['expect-status'], verbose, progress);
  }
  // Bad arguments exit 1 in both modes: the mode counts only from here on.
  progress.detailed = codes === 'detailed';
  return probe();
}

/** Prints the result and exits with its code. */
function finish(result: Result, detailed: boolean): never {
  const fd = result.outcome === 'healthy' ? 1 : 2;
  const text = capBytes(`${[result.line, ...result.details].join('\n')}\n`);
  // writeSync, not process.stdout: creating the stream object costs start-up time, and the line is all there is.
  // Exiting right after loses nothing; waiting for the socket to close would add time to every exec probe.
  try {
    process.getBuiltinModule('node:fs').writeSync(fd, text);
  } catch {
    (fd === 1 ? process.stdout : process.stderr).write(text);
  }
  process.exit(exitCode(result.outcome, detailed));
}

/**
 * Runs `probekit probe` with the arguments after the command name, prints one line (healthy on stdout, anything
 * else on stderr; at most 4,000 bytes, `-v` included) and exits. SIGTERM and SIGINT cancel the probe at once: the
 * line says so, and the code is that of the phase it stopped in (connection or request).
 */
export async function probeCommand(argv: string[]): Promise<never> {
  const progress: Progress = { target: undefined, connected: false, detailed: false };
  const cancel = (signal: NodeJS.Signals) => {
    if (progress.target === undefined)
      finish({ outcome: 'usage', line: `probekit probe: cancelled by ${signal}`, details: [] }, false);
    const phase = progress.connected ? 'request' : 'connect';
    const line = `${phase === 'connect' ? 'connection' : 'request'} cancelled: ${progress.target}: ${signal}`;
    finish({ outcome: phase, line, details: [] }, progress.detailed);
  };
  process.once('SIGTERM', cancel);
  process.once('SIGINT', cancel);
  let result: Result | string;
  try {
    result = await run(argv, progress);
  } catch (err) {
    // A UsageError, or a bug: both exit 1, whatever the mode.
    const text = err instanceof UsageError ? `${err.message} (see probekit probe --help)` : `internal error: ${describe(err)}`;
    result = { outcome: 'usage', line: oneLine(`probekit probe: ${text}`, 1000), details: [] };
  }
  if (typeof result === 'string') {
    process.stdout.write(result);
    process.exit(0);
  }
  finish(result, progress.detailed);
}

// `probekit watch URL...`: every check of one or more endpoints, live. On a terminal it is a table redrawn on each
// answer, each second and on resize, with changes highlighted (colours unless NO_COLOR is set); otherwise (a pipe,
// a file, TERM=dumb) it prints one line per change. `q` (or Ctrl-C, SIGINT, SIGTERM) quits with code 0.
import {
  DEFAULT_STATUS,
  formatDuration,
  parseDuration,
  parseFlags,
  parseHttpUrl,
  parseStatusSet,
  REQUEST_FLAGS,
  requestSettings,
} from './args.js';
import { describe, UsageError } from './errors.js';
import { Screen } from './terminal.js';
import { applyUpdate, type EndpointState, initialState } from './watch-model.js';
import { runSource } from './watch-source.js';
import { changeLine, renderTable } from './watch-view.js';

const FLAGS = {
  ...REQUEST_FLAGS,
  interval: { type: 'string' },
  poll: { type: 'boolean' },
} as const;

/** Text of `probekit watch --help`. */
const WATCH_HELP = `usage: probekit watch URL... [flags]

A live table of every check of one or more endpoints (several pods, or several probes of one): status, since when,
duration, streak, output; changes are highlighted. It reads the server's watch stream (GET URL?watch,
text/event-stream) when there is one, and polls the plain JSON otherwise. q quits.
Not on a terminal (or TERM=dumb), it prints one line per change instead; NO_COLOR turns colours off.

  --interval D             poll interval, and the wait before reconnecting (default 1s)
  --poll                   never ask for the watch stream
  --timeout D              deadline of each request (default 1s)
  --connect-timeout D      deadline of each connection (default: --timeout)
  -H, --header 'K: V'      request header; repeatable
  --expect-status SET      healthy HTTP codes when a body has no status (default 200-399)
  --tls-no-verify, --tls-ca-cert FILE, --tls-client-cert FILE, --tls-client-key FILE, --tls-server-name NAME
                           as for probekit probe, for https:// URLs
  --user-agent TEXT
`;

/** A silent stream is dead after three missed heartbeats (the server sends a comment every 15 s). */
const STALE_MS = 45_000;

function readArgs(argv: string[]) {
  const { values, positionals } = parseFlags(argv, FLAGS);
  if (values.help) return undefined;
  if (positionals.length === 0) throw new UsageError('missing URL');
  const urls = positionals.map(parseHttpUrl);
  const secure = urls.some((u) => u.protocol === 'https:');
  // As for probe: redundant when every URL is https://, a lie for an http:// one.
  if (values.tls && urls.some((u) => u.protocol !== 'https:')) {
    throw new UsageError('--tls needs https:// URLs: an https:// URL turns TLS on by itself');
  }
  const tlsSettings = requestSettings(values, secure, 'use an https:// URL');
  const plain = { ...tlsSettings, tls: undefined };
  const intervalMs = typeof values.interval === 'string' ? parseDuration('interval', values.interval) : 1000;
  const expect = typeof values['expect-status'] === 'string' ? parseStatusSet(values['expect-status']) : DEFAULT_STATUS;
  return { urls, tlsSettings, plain, intervalMs, expect, stream: values.poll !== true };
}

/** Runs `probekit watch` with the arguments after the command name, until it is told to quit. */
export async function watchCommand(argv: string[]): Promise<void> {
  let args: ReturnType<typeof readArgs>;
  try {
    args = readArgs(argv);
  } catch (err) {
    const text = err instanceof UsageError ? `${err.message} (see probekit watch --help)` : describe(err);
    process.stderr.write(`probekit watch: ${text}\n`);
    process.exit(1);
  }
  if (args === undefined) {
    process.stdout.write(WATCH_HELP);
    return;
  }
  const { urls, intervalMs } = args;
  const out = process.stdout;
  const tty = out.isTTY === true && process.env.TERM !== 'dumb';
  // https://no-color.org: set and not empty.
  const color = tty && (process.env.NO_COLOR ?? '') === '';
  const screen = tty ? new Screen(out) : undefined;
  const states: EndpointState[] = urls.map((u) => initialState(u.href, Date.now()));
  const ac = new AbortController();
  const source = args.stream ? `watch stream, else poll ${formatDuration(intervalMs)}` : `poll ${formatDuration(intervalMs)}`;

  let pending = false;
  const draw = () => {
    pending = false;
    screen?.draw(renderTable(states, { now: Date.now(), width: screen.width, height: screen.height, color, source }));
  };
  // Answers of several endpoints often land together: one redraw for all of them.
  const redraw = () => {
    if (pending) return;
    pending = true;
    setImmediate(draw);
  };
  let ticker: NodeJS.Timeout | undefined;
  const tick = () => {
    draw(); // the ages in the SINCE column move on
    ticker = setTimeout(tick, 1000 - (Date.now() % 1000));
  };

  const quit = () => {
    ac.abort();
    clearTimeout(ticker);
    screen?.leave();
    if (process.stdin.isTTY) process.stdin.setRawMode(false);
    process.exit(0);
  };
  process.once('SIGINT', quit);
  process.once('SIGTERM', quit);
  process.once('SIGHUP', quit);
  process.on('exit', () => screen?.leave());
  if (process.stdin.isTTY) {
    process.stdin.setRawMode(true);
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (keys: string) => {
      // Raw mode turns Ctrl-C (and Ctrl-D) into a byte instead of SIGINT (or end of input).
      if (keys.includes('q') || keys.includes('Q') || keys.includes('\u0003') || keys.includes('\u0004')) quit();
    });
    process.stdin.resume();
  }

  if (screen !== undefined) {
    screen.enter();
    out.on('resize', draw);
    tick();
  }
  const sources = urls.map((url, i) =>
    runSource({
      url,
      settings: url.protocol === 'https:' ? args.tlsSettings : args.plain,
      expect: args.expect,
      intervalMs,
      stream: args.stream,
      staleMs: STALE_MS,
      signal: ac.signal,
      onUpdate: (update) => {
        const { state, changes } = applyUpdate(states[i] as EndpointState, update);
        states[i] = state;
        if (screen !== undefined) redraw();
        else for (const change of changes) out.write(`${changeLine(change, update.at)}\n`);
      },
    }),
  );
  // A source ends on its own only on an error no retry mends (an event past 1 MiB). With every source ended there is
  // nothing left to watch: the table stays up until `q`; a pipe's reader gets the end of the output and exit code 1.
  void Promise.all(sources).then(() => {
    if (!ac.signal.aborted && screen === undefined) process.exitCode = 1;
  });
}

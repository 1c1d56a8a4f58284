// Headless Chromium from Debian's packages, installed when missing by test/services/lib/chromium.sh, run once per
// call with a profile and a NetLog of its own in a temporary directory.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../services/lib/chromium.sh', import.meta.url));
/** The script's exit code for "it cannot be had on this machine" (not root, no apt-get, the install failed). */
const EXIT_UNAVAILABLE = 3;

export type ChromiumBinary = { path: string } | { skip: string };

let found: Promise<ChromiumBinary> | undefined;

/**
 * The binary's path, installing Chromium first if needed; or a one-line reason to skip when it cannot be had here.
 * Under CI=true that is an error instead. Memoized per process.
 */
export function chromiumBinary(): Promise<ChromiumBinary> {
  found ??= new Promise<ChromiumBinary>((resolve, reject) => {
    execFile('bash', [script], { timeout: 15 * 60_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (!err) return resolve({ path: stdout.trim() });
      const why = stderr.trim().split('\n').at(-1) || err.message;
      if ((err as { code?: unknown }).code !== EXIT_UNAVAILABLE) return reject(new Error(`chromium.sh: ${why}`));
      if (process.env.CI === 'true') return reject(new Error(`chromium unavailable under CI: ${why}`));
      resolve({ skip: `chromium unavailable: ${why}` });
    });
  });
  return found;
}

/** One request of the browser's network stack, from its NetLog. */
export interface NetRequest {
  url: string;
  method: string;
  /** The origin that asked for it, or `not an origin` (a navigation, or the browser itself). */
  initiator: string;
  /** `<top frame site> <frame site>`: the page's for what the page loads, `null null` or another for the browser's own. */
  isolationKey: string;
}

export interface ChromiumRun {
  code: number | null;
  stdout: string;
  stderr: string;
  requests: NetRequest[];
}

type NetLog = {
  constants: { logEventTypes: Record<string, number> };
  events: { type: number; params?: Record<string, unknown> }[];
};

/**
 * Parses a NetLog. One cut short (the browser was stopped) is closed here, as its viewer does: each event is one line
 * ending in `},`, so what follows the last whole line (an event cut in the middle) is dropped.
 */
function parseNetLog(text: string): NetLog {
  try {
    return JSON.parse(text) as NetLog;
  } catch {
    const whole = text.lastIndexOf('},\n');
    return JSON.parse(`${whole === -1 ? text.replace(/,\s*$/, '') : text.slice(0, whole + 1)}]}`) as NetLog;
  }
}

function netRequests(text: string): NetRequest[] {
  const log = parseNetLog(text);
  const start = log.constants.logEventTypes.URL_REQUEST_START_JOB;
  const out: NetRequest[] = [];
  for (const e of log.events) {
    const p = e.params;
    if (e.type !== start || p === undefined || typeof p.url !== 'string') continue;
    out.push({
      url: p.url,
      method: String(p.method),
      initiator: String(p.initiator),
      isolationKey: String(p.network_isolation_key),
    });
  }
  return out;
}

/** How {@link runChromium} runs the browser. */
export interface RunOptions {
  /** JavaScript on (default) or off, as a user turns it off: by the profile's content setting. */
  javascript?: boolean;
  /** Stop the browser (SIGTERM) once this holds, polled every 100 ms: for a run with no `--dump-dom`/`--screenshot`. */
  until?: () => boolean;
}

/**
 * Runs `chromium --headless ... <args> <url>` once (at most 60 s), with logging to stderr (console messages, CSP
 * violations included) and a NetLog of every request the browser made. Never rejects on a non-zero exit.
 */
export async function runChromium(
  bin: string,
  url: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<ChromiumRun> {
  const dir = await mkdtemp(join(tmpdir(), 'probekit-chromium-'));
  const netlog = join(dir, 'netlog.json');
  if (options.javascript === false) {
    // `--blink-settings=scriptEnabled=false` would stop headless mode's own commands too; a content setting does not.
    await mkdir(join(dir, 'profile', 'Default'), { recursive: true });
    const prefs = { profile: { default_content_setting_values: { javascript: 2 } } };
    await writeFile(join(dir, 'profile', 'Default', 'Preferences'), JSON.stringify(prefs));
  }
  const all = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--hide-scrollbars',
    `--user-data-dir=${join(dir, 'profile')}`,
    '--enable-logging=stderr',
    '--v=0',
    `--log-net-log=${netlog}`,
    ...args,
    url,
  ];
  try {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      let poll: NodeJS.Timeout | undefined;
      const child = execFile(
        bin,
        all,
        { timeout: 60_000, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => {
          clearInterval(poll);
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
          resolve({ code, stdout, stderr });
        },
      );
      const until = options.until;
      if (until !== undefined) {
        poll = setInterval(() => {
          if (!until()) return;
          clearInterval(poll);
          child.kill('SIGTERM');
        }, 100);
      }
    });
    const requests = netRequests(await readFile(netlog, 'utf8').catch(() => '{"constants":{"logEventTypes":{}},"events":[]}'));
    return { code, stdout, stderr, requests };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The requests the page made (not the browser's own): those in the page's network partition, or initiated by it. */
export function pageRequests(run: ChromiumRun, origin: string): NetRequest[] {
  const site = new URL(origin).origin.replace(/:\d+$/, '');
  return run.requests.filter((r) => r.initiator === origin || r.isolationKey.startsWith(`${site} `));
}

/** The lines of Chromium's log that tell of a Content Security Policy violation. */
export function cspViolations(run: ChromiumRun): string[] {
  return run.stderr.split('\n').filter((l) => /Content Security Policy|Refused to/i.test(l));
}

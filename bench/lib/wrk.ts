// Parses the text wrk 4 prints with `--latency`. Pure: text in, numbers out; the runner spawns wrk.

/** One load run, whatever generated it (wrk, or autocannon as the fallback). Latencies in milliseconds. */
export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  readonly rps: number;
  readonly latency: {
    readonly avg: number;
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly max: number;
  };
  /** Responses with a status outside 2xx/3xx ("Non-2xx or 3xx responses"). */
  readonly non2xx: number;
  /** Socket errors (connect, read, write, timeout), summed. */
  readonly socketErrors: number;
}

/** The load generator's output did not have the expected shape. */
export class LoadOutputError extends Error {
  override name = 'LoadOutputError';
  readonly code = 'BENCH_ERR_LOAD_OUTPUT';
}

const TIME_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const NUM = '([0-9]+(?:\\.[0-9]+)?)';

/** `"672.00us"` -> 0.672 (ms). */
export function parseTime(text: string): number {
  const m = new RegExp(`^${NUM}(us|ms|s|m|h)$`).exec(text.trim());
  if (!m) throw new LoadOutputError(`wrk: unreadable time \`${text}\``);
  return Number(m[1]) * (TIME_UNITS[m[2] as string] as number);
}

function field(text: string, re: RegExp, what: string): RegExpExecArray {
  const m = re.exec(text);
  if (!m) throw new LoadOutputError(`wrk: no ${what} in output:\n${text}`);
  return m;
}

function percentile(text: string, p: number): number {
  const m = field(text, new RegExp(`^\\s+${p}%\\s+(\\S+)$`, 'm'), `${p}% latency (was --latency given?)`);
  return parseTime(m[1] as string);
}

/**
 * Reads requests, duration, requests/s, latency (avg, p50, p90, p99, max), non-2xx/3xx responses and socket errors.
 * @throws LoadOutputError when a required line is missing (wrk failed, or ran without `--latency`).
 */
export function parseWrk(text: string): LoadResult {
  const stats = field(text, /^\s+Latency\s+(\S+)\s+(\S+)\s+(\S+)\s+\S+$/m, 'latency thread stats');
  const total = field(text, new RegExp(`^\\s+([0-9]+) requests in ${NUM}(us|ms|s|m|h),`, 'm'), 'request count');
  const rps = field(text, new RegExp(`^Requests/sec:\\s+${NUM}$`, 'm'), 'Requests/sec');
  const non2xx = /^\s+Non-2xx or 3xx responses:\s+([0-9]+)$/m.exec(text);
  const sock = /^\s+Socket errors: connect ([0-9]+), read ([0-9]+), write ([0-9]+), timeout ([0-9]+)$/m.exec(text);
  return {
    requests: Number(total[1]),
    seconds: parseTime(`${total[2]}${total[3]}`) / 1000,
    rps: Number(rps[1]),
    latency: {
      avg: parseTime(stats[1] as string),
      p50: percentile(text, 50),
      p90: percentile(text, 90),
      p99: percentile(text, 99),
      max: parseTime(stats[3] as string),
    },
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: sock ? Number(sock[1]) + Number(sock[2]) + Number(sock[3]) + Number(sock[4]) : 0,
  };
}

// Command-line options of `npm run bench`, validated once.

/** The runner's options after parsing. */
export interface BenchOptions {
  readonly rounds: number;
  /** Seconds of measured load per variant and round. */
  readonly duration: number;
  /** Seconds of unmeasured load before each measurement. */
  readonly warmup: number;
  readonly connections: number;
  readonly quick: boolean;
  readonly only: readonly string[] | undefined;
  readonly pin: boolean;
  readonly install: boolean;
  readonly loader: 'wrk' | 'autocannon';
  /** Write a V8 CPU profile of every server run (node --cpu-prof). */
  readonly cpuProf: boolean;
  /** Output path without extension; `.json` and `.md` are written. */
  readonly out: string;
  readonly list: boolean;
  readonly help: boolean;
}

export const USAGE = `Usage: npm run bench -- [options]
  --rounds N        rounds; every variant runs once per round, interleaved (default 3, at most 20)
  --duration S      measured seconds per variant and round (default 5, at most 120)
  --warmup S        unmeasured seconds before each measurement (default 2)
  --connections C   keep-alive connections (default 50, wrk -t1)
  --quick           smoke run: 1 round, 1 s warm-up, 1 s measured (explicit options still win)
  --only a,b        only these variants (their baselines are added); see --list
  --cpu-prof        V8 CPU profiles of the servers into <out dir>/profiles, top functions printed (use with --only)
  --loader L        wrk (default) or autocannon
  --no-pin          do not pin server and load generator to cores 0 and 1 with taskset
  --no-install      do not apt-get install wrk when it is missing
  --out PATH        output path without extension (default bench/results/latest; with --quick bench/results/quick)
  --list            list the variants and exit`;

function int(name: string, value: string | undefined, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`Expected \`--${name}\` to be an integer in ${min}-${max}, got \`${value}\``);
  return n;
}

/**
 * Parses argv (without node and the script).
 * @throws Error naming the option for an unknown option or a value out of range.
 */
export function parseArgs(argv: readonly string[]): BenchOptions {
  let rounds: number | undefined;
  let duration: number | undefined;
  let warmup: number | undefined;
  let connections = 50;
  let quick = false;
  let only: string[] | undefined;
  let pin = true;
  let install = true;
  let loader: 'wrk' | 'autocannon' = 'wrk';
  let cpuProf = false;
  let out: string | undefined;
  let list = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--rounds') rounds = int('rounds', next(), 1, 20);
    else if (a === '--duration') duration = int('duration', next(), 1, 120);
    else if (a === '--warmup') warmup = int('warmup', next(), 0, 60);
    else if (a === '--connections') connections = int('connections', next(), 1, 1000);
    else if (a === '--quick') quick = true;
    else if (a === '--only') only = (next() ?? '').split(',').filter((s) => s.length > 0);
    else if (a === '--no-pin') pin = false;
    else if (a === '--no-install') install = false;
    else if (a === '--cpu-prof') cpuProf = true;
    else if (a === '--out') out = next();
    else if (a === '--list') list = true;
    else if (a === '--help' || a === '-h') help = true;
    else if (a === '--loader') {
      const l = next();
      if (l !== 'wrk' && l !== 'autocannon') throw new Error(`Expected \`--loader\` to be wrk or autocannon, got \`${l}\``);
      loader = l;
    } else throw new Error(`Unknown option \`${a}\`\n${USAGE}`);
  }
  // --quick changes the defaults; values given explicitly still win.
  rounds ??= quick ? 1 : 3;
  duration ??= quick ? 1 : 5;
  warmup ??= quick ? 1 : 2;
  // A smoke run does not overwrite the last full run's results.
  out ??= quick ? 'bench/results/quick' : 'bench/results/latest';
  return { rounds, duration, warmup, connections, quick, only, pin, install, loader, cpuProf, out, list, help };
}

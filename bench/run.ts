// `npm run bench`: every server variant in its own pinned child process, loaded by wrk, interleaved in rounds,
// summarised against its baseline, judged against the issue's targets, written to bench/results/latest.{json,md}.
import { cpus, loadavg } from 'node:os';
import { parseArgs, USAGE } from './lib/args.js';
import { staleBuild } from './lib/build.js';
import { findLoader } from './lib/load.js';
import { type MeasureSettings, mainThreadProfile, measure, profileDirFor, WrongAnswerError } from './lib/measure.js';
import { installCleanup, which } from './lib/proc.js';
import { formatTop } from './lib/profile.js';
import { type BenchReport, describeMachine, markdown, writeReport } from './lib/report.js';
import { ServerStartError } from './lib/server.js';
import { type RoundResult, summarise } from './lib/stats.js';
import { judgeTargets } from './lib/targets.js';
import { selectVariants, VARIANTS } from './lib/variants.js';

const say = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  if (options.help) {
    say(USAGE);
    return 0;
  }
  if (options.list) {
    for (const v of VARIANTS) say(`${v.id.padEnd(30)} ${v.label}${v.baseline ? ` (vs ${v.baseline})` : ''}`);
    return 0;
  }
  installCleanup();
  const stale = staleBuild();
  if (stale.length > 0) {
    say(
      `bench: WARNING dist/ is older than src/ (${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ', ...' : ''}): the servers run the build; run \`npm run build\` first`,
    );
  }
  const variants = selectVariants(options.only);
  const loader = await findLoader(options.loader, options.install);
  const pin = options.pin && which('taskset') !== undefined && cpus().length >= 2;
  const pinned = pin ? 'server pinned to core 0, load generator to core 1 (taskset)' : 'not pinned';
  const machine = describeMachine(loader.kind, pinned);
  const profileDir = options.cpuProf ? profileDirFor(options.out) : undefined;
  const settings: MeasureSettings = {
    loader,
    warmup: options.warmup,
    duration: options.duration,
    connections: options.connections,
    serverCore: pin ? 0 : undefined,
    loadCore: pin ? 1 : undefined,
    profileDir,
  };
  say(
    `bench: ${variants.length} variants x ${options.rounds} round(s), ${options.warmup} s warm-up + ${options.duration} s each; ${pinned}`,
  );
  say(`bench: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, load average ${machine.loadavgStart.join(' ')}`);
  if ((machine.loadavgStart[0] ?? 0) >= 0.5)
    say('bench: WARNING the machine is busy (load average >= 0.5): the numbers will be noisy');

  const results = new Map<string, RoundResult[]>();
  const skipped = new Map<string, string>();
  for (let round = 1; round <= options.rounds; round++) {
    for (const v of variants) {
      if (skipped.has(v.id)) continue;
      try {
        const r = await measure(v, round, settings);
        results.set(v.id, [...(results.get(v.id) ?? []), r]);
        const l = r.load;
        say(
          `  round ${round}  ${v.id.padEnd(30)} ${l.rps.toFixed(0).padStart(7)} req/s  p50 ${l.latency.p50.toFixed(3)} ms  p99 ${l.latency.p99.toFixed(3)} ms  RSS ${(r.rssKb / 1024).toFixed(1)} MB${l.non2xx > 0 ? `  NON-2XX ${l.non2xx}` : ''}${l.socketErrors > 0 ? `  SOCKET ERRORS ${l.socketErrors}` : ''}`,
        );
      } catch (err) {
        if (!(err instanceof ServerStartError)) throw err;
        const lines = err.message.split('\n');
        // The thrown error's own line (`Error [ERR_MODULE_NOT_FOUND]: ...`, `TypeError: ...`), else the first line.
        const why = lines.find((line) => /^\w*Error\b/.test(line)) ?? lines[0] ?? '';
        skipped.set(v.id, `server failed to start (${why.trim().slice(0, 120)})`);
        say(`  SKIP ${v.id}: its server failed to start; the variant is left out of this run:\n${indent(err.message)}`);
      }
    }
  }

  machine.loadavgEnd = loadavg().map((n) => Math.round(n * 100) / 100);
  const summaries = summarise(variants, results, skipped);
  const report: BenchReport = {
    date: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine,
    options,
    variants: summaries,
    targets: judgeTargets(summaries),
  };
  const [json, md] = await writeReport(report, options.out);
  say(`\n${markdown(report)}`);
  say(`bench: written ${json} and ${md}`);
  if (profileDir !== undefined) {
    for (const v of variants) {
      const file = mainThreadProfile(profileDir, v.id, options.rounds);
      if (file !== undefined) say(formatTop(file, 15));
    }
  }
  const bad = summaries.filter((s) => s.non2xx > 0 || s.socketErrors > 0);
  if (bad.length > 0) say(`bench: WARNING non-2xx answers or socket errors in ${bad.map((s) => s.id).join(', ')}`);
  return 0;
}

function indent(text: string): string {
  return text
    .split('\n')
    .slice(0, 12)
    .map((l) => `      ${l}`)
    .join('\n');
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const loud = err instanceof WrongAnswerError ? 'bench: FAILED, a variant answered the wrong thing:\n' : 'bench: FAILED\n';
    process.stderr.write(`${loud}${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);

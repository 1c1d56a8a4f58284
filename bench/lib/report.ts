// Writes a run's results as JSON and as a Markdown table, and describes the machine it ran on.
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import type { BenchOptions } from './args.js';
import type { VariantSummary } from './stats.js';
import type { TargetResult } from './targets.js';

/** The machine a run measured. */
export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly node: string;
  readonly platform: string;
  readonly loadavgStart: readonly number[];
  loadavgEnd?: readonly number[];
  readonly loader: string;
  readonly pinned: string;
}

/** Reads the CPU model from /proc/cpuinfo (os.cpus() as a fallback). */
export function describeMachine(loader: string, pinned: string): Machine {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {
    // Not Linux: keep os.cpus().
  }
  return {
    cpu,
    cores: cpus().length,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadavgStart: loadavg().map((n) => Math.round(n * 100) / 100),
    loader,
    pinned,
  };
}

/** Everything a run produced. */
export interface BenchReport {
  readonly date: string;
  readonly command: string;
  readonly machine: Machine;
  readonly options: BenchOptions;
  readonly variants: readonly VariantSummary[];
  readonly targets: readonly TargetResult[];
}

const fmt = (n: number | undefined, digits: number, suffix = '') =>
  n === undefined || Number.isNaN(n) ? '-' : `${n.toFixed(digits)}${suffix}`;
const kilo = (n: number) => (Number.isNaN(n) ? '-' : `${(n / 1000).toFixed(1)}k`);

/** The results table and the targets table, as Markdown. */
export function markdown(r: BenchReport): string {
  const m = r.machine;
  const o = r.options;
  const lines = [
    `# probekit benchmark, ${r.date}`,
    '',
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.platform}, Node ${m.node}`,
    `- Load: ${m.loader === 'wrk' ? 'wrk -t1' : 'autocannon'} -c${o.connections}, ${o.rounds} round(s) x ${o.duration} s after ${o.warmup} s warm-up, interleaved; ${m.pinned}`,
    `- Load average at start ${m.loadavgStart.join(' ')}, at end ${m.loadavgEnd?.join(' ') ?? '-'}${o.quick ? ' (quick smoke run: numbers are indicative only)' : ''}`,
    `- Command: \`${r.command}\``,
    '',
    '| Variant | req/s (median) | spread | x baseline | x bare Fastify | p50 ms | p99 ms | RSS MB | body B | non-2xx | socket errors |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const v of r.variants) {
    if (v.rounds.length === 0) {
      lines.push(`| ${v.label} | skipped: ${v.skipped ?? 'not measured'} | | | | | | | | | |`);
      continue;
    }
    lines.push(
      `| ${v.label} | ${kilo(v.rps)} | ${fmt(v.spread * 100, 0, '%')} | ${fmt(v.ratio, 2, 'x')} | ${fmt(v.vsFastify, 2, 'x')} | ${fmt(v.p50, 3)} | ${fmt(v.p99, 3)} | ${fmt(v.rssMb, 1)} | ${v.bodyBytes} | ${v.non2xx} | ${v.socketErrors} |`,
    );
  }
  lines.push('', '| Target | Measured | Verdict |', '|---|---|---|');
  for (const t of r.targets) lines.push(`| ${t.target} | ${t.measured} | ${t.verdict} |`);
  return `${lines.join('\n')}\n`;
}

/** Writes `<out>.json` and `<out>.md` (bench/results is not linted); returns their paths. */
export async function writeReport(r: BenchReport, out: string): Promise<[string, string]> {
  await mkdir(dirname(out), { recursive: true });
  const json = `${out}.json`;
  const md = `${out}.md`;
  await writeFile(json, `${JSON.stringify(r, null, 2)}\n`);
  await writeFile(md, markdown(r));
  return [json, md];
}

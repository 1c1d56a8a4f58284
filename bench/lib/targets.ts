// The targets, judged from one run's summaries. Pure.
import type { VariantSummary } from './stats.js';
import { VARIANTS } from './variants.js';

/** One target: PASS, MISS, or n/a when a variant it needs was not measured. */
export interface TargetResult {
  readonly target: string;
  readonly measured: string;
  readonly verdict: 'PASS' | 'MISS' | 'n/a';
}

const x = (n: number) => `${n.toFixed(2)}x`;

/** Judges every target; a target whose variants were not all measured is `n/a`. */
export function judgeTargets(summaries: readonly VariantSummary[]): TargetResult[] {
  const get = (id: string) => {
    const s = summaries.find((v) => v.id === id);
    return s !== undefined && s.rounds.length > 0 ? s : undefined;
  };
  const out: TargetResult[] = [];
  const add = (target: string, ids: readonly string[], judge: (s: VariantSummary[]) => [string, boolean]) => {
    const found = ids.map(get);
    if (found.some((s) => s === undefined)) {
      out.push({ target, measured: `not measured (${ids.filter((_, i) => found[i] === undefined).join(', ')})`, verdict: 'n/a' });
      return;
    }
    const [measured, pass] = judge(found as VariantSummary[]);
    out.push({ target, measured, verdict: pass ? 'PASS' : 'MISS' });
  };

  add('probekit Fastify /ready >= 0.95x bare Fastify', ['probekit-fastify', 'fastify-bare'], ([p, b]) => {
    const r = (p as VariantSummary).rps / (b as VariantSummary).rps;
    return [x(r), r >= 0.95];
  });
  add(
    '/ready within 5% whether checks take 0 ms, 5 ms or hang',
    ['probekit-fastify', 'probekit-fastify-5ms', 'probekit-fastify-hang'],
    (s) => {
      const rps = s.map((v) => v.rps);
      const worst = Math.max(...rps.map((r) => Math.abs(r / (rps[0] as number) - 1)));
      return [
        `5 ms ${x((rps[1] as number) / (rps[0] as number))}, hang ${x((rps[2] as number) / (rps[0] as number))} of free`,
        worst <= 0.05,
      ];
    },
  );
  add(
    'Express app, served at the server layer: >= 5x bare Express and >= 0.95x bare node:http',
    ['probekit-express-attach', 'express-bare', 'http-bare'],
    ([a, e, h]) => {
      const re = (a as VariantSummary).rps / (e as VariantSummary).rps;
      const rh = (a as VariantSummary).rps / (h as VariantSummary).rps;
      return [`${x(re)} Express, ${x(rh)} node:http`, re >= 5 && rh >= 0.95];
    },
  );
  add('Express app, through the router: >= 0.95x bare Express', ['probekit-express-router', 'express-bare'], ([p, b]) => {
    const r = (p as VariantSummary).rps / (b as VariantSummary).rps;
    return [x(r), r >= 0.95];
  });
  for (const id of [
    'probekit-fastify',
    'probekit-fastify-5ms',
    'probekit-fastify-hang',
    'probekit-express-router',
    'probekit-express-attach',
  ]) {
    const baseline = VARIANTS.find((v) => v.id === id)?.baseline ?? 'fastify-bare';
    add(`${id} p99 within 0.2 ms of ${baseline} p99`, [id, baseline], ([p, b]) => {
      const d = (p as VariantSummary).p99 - (b as VariantSummary).p99;
      return [
        `${d >= 0 ? '+' : ''}${d.toFixed(3)} ms (${(p as VariantSummary).p99.toFixed(3)} vs ${(b as VariantSummary).p99.toFixed(3)})`,
        d <= 0.2,
      ];
    });
  }
  return out;
}

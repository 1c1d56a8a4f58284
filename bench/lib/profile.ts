// Reads a V8 `.cpuprofile` (node --cpu-prof): its top functions by self time, and probekit's own functions
// (frames from dist/src, src or plugins) by self and inclusive time. Pure apart from reading the file.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

/** One function's share of the samples. */
export interface HotFunction {
  readonly name: string;
  readonly where: string;
  readonly selfPct: number;
}

/** What a profile shows. Percentages of the non-idle samples. */
export interface ProfileSummary {
  readonly top: readonly HotFunction[];
  /** Samples whose top frame is probekit code (self time). */
  readonly probekitSelfPct: number;
  /** The probekit functions with the most inclusive samples (the route handler includes the framework's send). */
  readonly probekitTop: readonly HotFunction[];
}

const PROBEKIT = /\/(dist\/)?(src|plugins)\/[^/].*\.(js|ts)$/;

function where(url: string, line: number): string {
  if (url.length === 0) return '';
  const path = url.startsWith('file://') ? relative(process.cwd(), new URL(url).pathname) : url;
  return `${path}:${line + 1}`;
}

function isProbekit(node: ProfileNode): boolean {
  const url = node.callFrame.url;
  return url.startsWith('file://') && !url.includes('/node_modules/') && !url.includes('/bench/') && PROBEKIT.test(url);
}

/** Summarises a profile file: `n` top functions by self time, and probekit's inclusive share. */
export function summariseProfile(file: string, n: number): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[] };
  const parent = new Map<number, ProfileNode>();
  for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node);
  const self = new Map<string, { name: string; where: string; hits: number }>();
  const inclusive = new Map<string, { name: string; where: string; hits: number }>();
  let total = 0;
  let probekitSelf = 0;
  const bump = (map: typeof self, node: ProfileNode, hits: number) => {
    const w = where(node.callFrame.url, node.callFrame.lineNumber);
    const name = node.callFrame.functionName || '(anonymous)';
    const entry = map.get(`${name}@${w}`) ?? { name, where: w, hits: 0 };
    entry.hits += hits;
    map.set(`${name}@${w}`, entry);
  };
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0 || node.callFrame.functionName === '(idle)') continue;
    total += hits;
    bump(self, node, hits);
    if (isProbekit(node)) probekitSelf += hits;
    const seen = new Set<string>();
    for (let at: ProfileNode | undefined = node; at !== undefined; at = parent.get(at.id)) {
      if (!isProbekit(at)) continue;
      const key = `${at.callFrame.functionName}@${at.callFrame.url}:${at.callFrame.lineNumber}`;
      if (!seen.has(key)) bump(inclusive, at, hits);
      seen.add(key);
    }
  }
  const pct = (hits: number) => (total > 0 ? (hits / total) * 100 : 0);
  const rank = (map: typeof self) =>
    [...map.values()]
      .sort((a, b) => b.hits - a.hits)
      .slice(0, n)
      .map((e) => ({ name: e.name, where: e.where, selfPct: pct(e.hits) }));
  return { top: rank(self), probekitSelfPct: pct(probekitSelf), probekitTop: rank(inclusive).slice(0, 8) };
}

/** The summary as printable lines. */
export function formatTop(file: string, n: number): string {
  const s = summariseProfile(file, n);
  const line = (f: HotFunction) => `  ${f.selfPct.toFixed(1).padStart(5)}%  ${f.name}  ${f.where}`;
  return [
    `${relative(process.cwd(), file)} (idle excluded; the profile covers the whole process, start-up included)`,
    ' self time:',
    ...s.top.map(line),
    ` probekit code: ${s.probekitSelfPct.toFixed(1)}% self time; inclusive (callees too, the route handler includes the framework's send):`,
    ...s.probekitTop.map(line),
  ].join('\n');
}

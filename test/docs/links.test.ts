// The README and docs/*.md point at things that exist: every relative link at a file (and at a heading, for an
// #anchor), every `npm run` at a script of package.json, every `npx tap`, `bash` or `tsx` at a file, every path of
// the repository written in code at something there, and every `probekit probe` / `probekit watch` example at flags
// the command's --help lists.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import t from 'tap';
import { PROBE_HELP } from '../../src/cli/probe.js';
import { WATCH_HELP } from '../../src/cli/watch.js';
import { anchors, codeBlocks, type DocFile, docFiles, links, ROOT } from './markdown.js';

const files = docFiles();
const byPath = new Map(files.map((f) => [f.path, f]));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

/** Every piece of code of a file with its line: each line of a fenced block, and each inline code span. */
function codeLines(file: DocFile): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  for (const b of codeBlocks(file)) {
    b.code.split('\n').forEach((text, i) => {
      out.push({ line: b.line + i, text });
    });
  }
  const fenced = new Set(out.map((o) => o.line));
  file.text.split('\n').forEach((text, i) => {
    if (fenced.has(i + 1) || /^(`{3,}|~{3,})/.test(text)) return;
    for (const m of text.matchAll(/`([^`]+)`/g)) out.push({ line: i + 1, text: m[1] as string });
  });
  return out;
}

t.test('every relative link points to a file, and every anchor to a heading', async (t) => {
  let count = 0;
  for (const file of files) {
    for (const { line, target } of links(file)) {
      if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
      count++;
      const [path = '', anchor] = target.split('#');
      const resolved = path === '' ? file.path : normalize(join(dirname(file.path), path));
      const at = `${file.path}:${line}: ${target}`;
      t.ok(existsSync(join(ROOT, resolved)), `${at}: ${resolved} exists`);
      if (anchor === undefined) continue;
      const doc = byPath.get(resolved);
      t.ok(doc !== undefined && anchors(doc).has(anchor), `${at}: ${resolved} has a heading #${anchor}`);
    }
  }
  t.ok(count >= 20, `${count} relative links`);
});

t.test('the README links every page of docs/', async (t) => {
  const readme = byPath.get('README.md') as DocFile;
  const linked = new Set(links(readme).map((l) => l.target.split('#')[0]));
  for (const f of files) if (f.path.startsWith('docs/')) t.ok(linked.has(f.path), `README links ${f.path}`);
  t.ok(readme.text.split('\n').length <= 200, 'the README is at most 200 lines');
});

t.test('every project command names a script or a file that exists', async (t) => {
  for (const file of files) {
    for (const { line, text } of codeLines(file)) {
      const at = `${file.path}:${line}`;
      for (const m of text.matchAll(/\bnpm run ([\w:-]+)/g))
        t.ok(Object.hasOwn(pkg.scripts, m[1] as string), `${at}: npm run ${m[1]} is a script`);
      for (const m of text.matchAll(/\b(?:npx tap|bash|tsx|node --import tsx)((?:\s+[\w./-]+\.(?:ts|sh)\b|\s+[\w./-]+\/)+)/g))
        for (const p of (m[1] as string).trim().split(/\s+/)) t.ok(existsSync(join(ROOT, p)), `${at}: ${p} exists`);
    }
  }
});

t.test('every path of the repository written in code exists', async (t) => {
  const roots = /^(?:src|plugins|test|bench|examples|docs|\.ci)\/[\w./-]*$/;
  for (const file of files) {
    for (const { line, text } of codeLines(file)) {
      if (!roots.test(text) || text.startsWith('bench/results/')) continue; // results are written by the runs
      t.ok(existsSync(join(ROOT, text)), `${file.path}:${line}: ${text} exists`);
    }
  }
});

/** The flags a --help text lists: `--name` and `-x`. */
function helpFlags(help: string): Set<string> {
  return new Set([...help.matchAll(/(?<![\w-])(--?[a-zA-Z][\w-]*)/g)].map((m) => m[1] as string).concat(['--help', '-h']));
}

t.test('every probekit probe / watch example uses flags the command knows', async (t) => {
  const known = { probe: helpFlags(PROBE_HELP), watch: helpFlags(WATCH_HELP) };
  let count = 0;
  for (const file of files) {
    for (const { line, text } of codeLines(file)) {
      // `probekit probe ...` in a shell line, or `"probekit", "probe", ...` (or the .cjs file) in an exec array.
      const m = /\bprobekit(?:\.cjs)?"?,?\s+"?(probe|watch)\b(.*)$/.exec(text);
      if (m === null) continue;
      const command = m[1] as 'probe' | 'watch';
      const rest = (m[2] as string).replace(/#.*$/, ''); // a shell comment is not an argument
      for (const f of rest.matchAll(/(?<![\w/:.-])(--?[a-zA-Z][\w-]*)/g)) {
        count++;
        t.ok(known[command].has(f[1] as string), `${file.path}:${line}: probekit ${command} knows ${f[1]}`);
      }
    }
  }
  t.ok(count >= 5, `${count} flags in the examples`);
  // The flag tables of the command line page: the first cell of each row.
  const cli = byPath.get('docs/cli.md') as DocFile;
  const all = new Set([...known.probe, ...known.watch]);
  cli.text.split('\n').forEach((text, i) => {
    const cell = /^\| (`-[^|]*)\|/.exec(text)?.[1];
    if (cell === undefined) return;
    for (const f of cell.matchAll(/`(--?[a-zA-Z][\w-]*)/g))
      t.ok(all.has(f[1] as string), `docs/cli.md:${i + 1}: the flag table's ${f[1]} is a flag of the command`);
  });
});

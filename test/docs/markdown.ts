// Reading the README and docs/*.md as a reader's tools would: the fenced code blocks with the marker line above each,
// the links outside code, and the headings' anchors as GitHub renders them. Pure, apart from listing the files.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A Markdown file of the documentation: its path from the root and its text. */
export interface DocFile {
  path: string;
  text: string;
}

/** README.md and every docs/*.md, in a stable order. */
export function docFiles(): DocFile[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
  return ['README.md', ...docs].map((path) => ({ path, text: readFileSync(join(ROOT, path), 'utf8') }));
}

/** A fenced code block. `line` is the 1-based line of its first line of code. */
export interface CodeBlock {
  file: string;
  line: number;
  lang: string;
  code: string;
  /** The `<!-- ts-... -->` comment on the line just above the fence, if any: its name and its argument. */
  marker: { name: string; arg: string } | undefined;
}

const FENCE = /^(`{3,}|~{3,})\s*([^\s`]*)/;
const MARKER = /^<!--\s*(ts-[a-z]+)\s*(?::\s*(.*?))?\s*-->\s*$/;

/** The fenced code blocks of a file; an unclosed fence runs to the end of the file, as CommonMark reads it. */
export function codeBlocks(file: DocFile): CodeBlock[] {
  const lines = file.text.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] as string);
    if (open === null) continue;
    const fence = open[1] as string;
    const start = i + 1;
    let end = start;
    // A closing fence is the same character, at least as long, with nothing after it.
    while (end < lines.length && !new RegExp(`^${fence}${fence[0]}*\\s*$`).test(lines[end] as string)) end++;
    const above = i > 0 ? MARKER.exec(lines[i - 1] as string) : null;
    blocks.push({
      file: file.path,
      line: start + 1,
      lang: open[2] ?? '',
      code: lines.slice(start, end).join('\n'),
      marker: above ? { name: above[1] as string, arg: above[2] ?? '' } : undefined,
    });
    i = end;
  }
  return blocks;
}

/** The lines of a file outside its fenced code blocks, with their 1-based numbers. */
export function proseLines(file: DocFile): { line: number; text: string }[] {
  const inCode = new Set<number>();
  for (const b of codeBlocks(file)) {
    const count = b.code.length === 0 ? 0 : b.code.split('\n').length;
    for (let l = b.line - 1; l <= b.line + count; l++) inCode.add(l);
  }
  return file.text
    .split('\n')
    .map((text, i) => ({ line: i + 1, text }))
    .filter((l) => !inCode.has(l.line));
}

/** Every `<!-- ts-... -->` marker of a file, with its line, to find markers that stand above no `ts` block. */
export function markerLines(file: DocFile): number[] {
  return file.text
    .split('\n')
    .map((text, i) => (MARKER.test(text) ? i + 1 : 0))
    .filter((n) => n > 0);
}

/**
 * The anchor GitHub gives a heading: lower case, punctuation other than `-` and `_` dropped, each space a `-`;
 * a repeated heading gets `-1`, `-2`, ...
 */
export function anchors(file: DocFile): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const { text } of proseLines(file)) {
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (h === null) continue;
    const base = (h[1] as string)
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** The inline links and images of a file's prose: `[text](target)`, with the line. */
export function links(file: DocFile): { line: number; target: string }[] {
  const out: { line: number; target: string }[] = [];
  for (const { line, text } of proseLines(file)) {
    // Code spans are not links: drop them first.
    const prose = text.replace(/`[^`]*`/g, '');
    for (const m of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) out.push({ line, target: m[1] as string });
  }
  return out;
}

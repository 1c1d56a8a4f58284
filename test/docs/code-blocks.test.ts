// Every `ts` block of README.md and docs/*.md, compiled the way a user's code is: in a directory outside the repository
// that has `probekit` in its node_modules (a link to this repository, so its `exports` map and the built dist/ types
// are what resolves), with strict NodeNext settings, as one TypeScript program. The whole programs among the blocks
// are then run, each in a process of its own, and must end by themselves with exit code 0. The line above each block
// says what it is (see docs/contributing.md, "Code blocks in the docs"); a block without one fails here.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import ts from 'typescript';
import { type CodeBlock, codeBlocks, docFiles, markerLines, ROOT } from './markdown.js';
import { PRELUDES } from './preludes.js';

/** What the test does with one block. */
interface Plan {
  block: CodeBlock;
  kind: 'run' | 'compile' | 'fragment' | 'skip';
  /** Why a whole program is not run, or why a block is not compiled. */
  reason: string;
  /** The file name in the temporary directory, without extension. */
  name: string;
  /** The source as compiled: the preludes, then the block, then `export {}` (so that every block is a module). */
  source: string;
  /** Lines of prelude before the block's first line. */
  offset: number;
}

const RUN_TIMEOUT_MS = 30_000;
const where = (b: CodeBlock) => `${b.file}:${b.line}`;

/** Reads a block's marker into a plan, or says what is wrong with it. */
function plan(block: CodeBlock, index: number): Plan | string {
  const name = `${block.file.replace(/\W+/g, '-')}-${block.line}-${index}`;
  const make = (kind: Plan['kind'], reason: string, preludes: string[] = []): Plan => {
    const head = preludes.map((p) => PRELUDES[p] as string).join('\n');
    const offset = head.length === 0 ? 0 : head.split('\n').length;
    const source = `${head}${offset > 0 ? '\n' : ''}${block.code}\nexport {};\n`;
    return { block, kind, reason, name, source, offset };
  };
  const m = block.marker;
  if (m === undefined)
    return `${where(block)}: a ts block needs a marker on the line above (ts-run, ts-run: no (reason), ts-prelude: names, ts-check: skip (reason))`;
  const reasonOf = (arg: string, word: string) => /^\w+\s*\((.+)\)$/.exec(arg)?.[1] ?? (arg === word ? '' : undefined);
  switch (m.name) {
    case 'ts-run': {
      if (m.arg === '') return make('run', '');
      const reason = reasonOf(m.arg, 'no');
      if (m.arg.startsWith('no') && reason) return make('compile', reason);
      return `${where(block)}: expected <!-- ts-run --> or <!-- ts-run: no (reason) -->, got ts-run: ${m.arg}`;
    }
    case 'ts-prelude': {
      const names = m.arg.split(/\s+/).filter((n) => n.length > 0);
      const unknown = names.filter((n) => !Object.hasOwn(PRELUDES, n));
      if (names.length === 0 || unknown.length > 0)
        return `${where(block)}: unknown prelude ${JSON.stringify(unknown)}; known: ${Object.keys(PRELUDES).join(', ')}`;
      return make('fragment', '', names);
    }
    case 'ts-check': {
      const reason = reasonOf(m.arg, 'skip');
      if (m.arg.startsWith('skip') && reason) return make('skip', reason);
      return `${where(block)}: expected <!-- ts-check: skip (reason) -->, got ts-check: ${m.arg}`;
    }
    default:
      return `${where(block)}: unknown marker ${m.name}`;
  }
}

/** A directory outside the repository where `import 'probekit'` resolves as it does in an app. */
function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'probekit-docs-'));
  const modules = join(dir, 'node_modules');
  mkdirSync(modules);
  // The repository's own node_modules stand for what the app installed (fastify, express, @types/node, ...).
  for (const entry of readdirSync(join(ROOT, 'node_modules'))) {
    if (entry.startsWith('.') || entry === 'probekit') continue;
    symlinkSync(join(ROOT, 'node_modules', entry), join(modules, entry), 'dir');
  }
  symlinkSync(ROOT, join(modules, 'probekit'), 'dir');
  mkdirSync(join(dir, 'blocks'));
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ private: true, type: 'module' })}\n`);
  const compilerOptions = {
    target: 'ES2022',
    lib: ['ES2023'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    skipLibCheck: true,
    types: ['node'],
    rootDir: 'blocks',
    outDir: 'out',
  };
  writeFileSync(join(dir, 'tsconfig.json'), `${JSON.stringify({ compilerOptions, include: ['blocks'] }, null, 2)}\n`);
  return dir;
}

/** One message per diagnostic, at the block's line in the Markdown file. */
function messages(diagnostics: readonly ts.Diagnostic[], plans: ReadonlyMap<string, Plan>): Map<Plan | undefined, string[]> {
  const out = new Map<Plan | undefined, string[]>();
  for (const d of diagnostics) {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    let p: Plan | undefined;
    let at = '(no file)';
    if (d.file !== undefined && d.start !== undefined) {
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      p = plans.get(d.file.fileName);
      if (p === undefined) at = d.file.fileName;
      else if (line < p.offset) at = `${where(p.block)} (in the prelude ${p.block.marker?.arg})`;
      else at = `${p.block.file}:${p.block.line + line - p.offset}:${character + 1}`;
    }
    const list = out.get(p) ?? [];
    list.push(`${at}: TS${d.code}: ${text}`);
    out.set(p, list);
  }
  return out;
}

/** Runs one compiled program; resolves with its exit code (or the signal that ended it) and its output. */
function run(file: string, cwd: string): Promise<{ code: number | null; signal: string | null; output: string }> {
  const env = { ...process.env };
  delete env.KUBERNETES_SERVICE_HOST; // the shutdown delay would differ from what the page says
  const child = spawn(process.execPath, [file], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    output += s;
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    output += s;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

const blocks = docFiles().flatMap((f) => codeBlocks(f).filter((b) => b.lang === 'ts'));
const planned = blocks.map(plan);
const plans = planned.filter((p): p is Plan => typeof p !== 'string');
const problems = planned.filter((p): p is string => typeof p === 'string');

t.test('every ts block says what it is, and every marker stands above a ts block', async (t) => {
  t.ok(blocks.length >= 15, `found ${blocks.length} ts blocks`);
  t.same(problems, [], 'no block without a valid marker');
  const tsMarkers = new Set(blocks.filter((b) => b.marker).map((b) => `${b.file}:${b.line - 2}`));
  const stray = docFiles()
    .flatMap((f) => markerLines(f).map((l) => `${f.path}:${l}`))
    .filter((m) => !tsMarkers.has(m));
  t.same(stray, [], 'no marker above anything but a ts block');
});

t.test('every ts block compiles against the built package, and every whole program runs', async (t) => {
  if (!existsSync(join(ROOT, 'dist/src/index.d.ts'))) {
    t.fail('dist/ is missing: run `npm run build` first (npm test does)');
    return;
  }
  const dir = workspace();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const byFile = new Map<string, Plan>();
  const compiled = plans.filter((p) => p.kind !== 'skip');
  for (const p of compiled) {
    const file = join(dir, 'blocks', `${p.name}.ts`);
    writeFileSync(file, p.source);
    byFile.set(file, p);
  }
  const config = ts.readConfigFile(join(dir, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, dir);
  const started = performance.now();
  const program = ts.createProgram(parsed.fileNames, parsed.options);
  const found = messages(ts.getPreEmitDiagnostics(program), byFile);
  const compileMs = performance.now() - started;
  t.same(found.get(undefined) ?? [], [], 'no diagnostic outside the blocks (the settings, the package)');
  for (const p of compiled) t.same(found.get(p) ?? [], [], `${where(p.block)} compiles (${p.kind})`);

  // A program whose block does not compile is not run: its failure above says why.
  const runs = compiled.filter((p) => p.kind === 'run' && !found.has(p));
  const emitted = program.emit();
  t.same(emitted.emitSkipped, false, 'the programs are emitted');
  const runStarted = performance.now();
  for (const p of runs) {
    const { code, signal, output } = await run(join(dir, 'out', `${p.name}.js`), dir);
    t.same({ code, signal }, { code: 0, signal: null }, `${where(p.block)} runs and ends by itself`, { output });
  }

  const runMs = performance.now() - runStarted;
  const list = (kind: Plan['kind']) => plans.filter((p) => p.kind === kind);
  const withReason = (kind: Plan['kind']) => list(kind).map((p) => `\n  ${where(p.block)}: ${p.reason}`);
  t.comment(
    `ts blocks: ${plans.length}; compiled ${compiled.length} (${list('fragment').length} fragments with a prelude); ` +
      `run ${runs.length}: ${runs.map((p) => where(p.block)).join(', ')}`,
  );
  t.comment(`one TypeScript program over every block: ${Math.round(compileMs)} ms; the runs: ${Math.round(runMs)} ms`);
  t.comment(`whole programs compiled, not run: ${list('compile').length}${withReason('compile').join('')}`);
  t.comment(`not compiled: ${list('skip').length}${withReason('skip').join('')}`);
});

// The probe server adds no exit delay: a process whose registry is closed exits at once, and so does one that just
// ends its work without closing anything (the thread is unref'd, its timers too).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs the exit app; resolves with its output and the ms from its `done` line to its exit. Bounded: 30 s. */
function run(mode: string): Promise<{ code: number | null; out: string; afterDoneMs: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/probe-server/fixtures/exit-app.ts'], {
    cwd: ROOT,
    env: { ...process.env, MODE: mode },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  let doneAt = 0;
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    if (doneAt === 0 && out.includes('done ')) doneAt = Date.now();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, afterDoneMs: doneAt === 0 ? Number.NaN : Date.now() - doneAt });
    });
  });
}

for (const [mode, what] of [
  ['close', 'a process whose registry is closed'],
  ['end', 'a process that ends its work without closing'],
] as const) {
  t.test(`${what} exits at once`, async (t) => {
    const r = await run(mode);
    t.match(r.out, /^status 200\n/, 'the probe server answered');
    t.equal(r.code, 0, 'exit code 0');
    // Generous: the check's interval alone is 200 ms; a kept-alive thread would never exit (killed at 30 s).
    t.ok(r.afterDoneMs < 2000, `exited ${r.afterDoneMs} ms after its work ended`);
  });
}

// Whatever a check's run() throws, rejects, returns or resolves, and whatever the logger or a listener does, the
// process stays alive, the run is recorded as a failure with a safe one-line description (snapshot() included), the
// schedule goes on, and the check recovers when it passes again. Each hostile value runs in a child process of its
// own, with no handler for unhandled rejections or uncaught exceptions.
import { spawn } from 'node:child_process';
import t from 'tap';
import { ROOT } from '../shutdown/proc.js';

const KINDS = [
  'throw frozen error',
  'reject frozen error',
  'throw error with throwing enumerable getter',
  'reject error with throwing enumerable getter',
  'throw object whose message getter throws',
  'throw proxy',
  'reject proxy',
  'return object whose then getter throws',
  'resolve object whose output getter throws',
  'resolve proxy',
  'reject error with non-string message',
  'reject error with object message',
];

interface Result {
  kind: string;
  lastRuns: number;
  failing: { status: string; error: string | null; consecutiveFailures: number };
  bodies: { path: string; status: number; type: string; body: string }[];
  recovered: { status: string; error: string | null };
  ready: string;
}

function runChild(kind: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/core/fixtures/hostile-check.ts'], {
      cwd: ROOT,
      env: { ...process.env, HOSTILE: kind },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

// Four at a time: each child is a Node process with tsx, and the machine has two cores.
const results = new Map<string, Promise<Awaited<ReturnType<typeof runChild>>>>();
const queue = [...KINDS];
const slots = Array.from({ length: 4 }, async () => {
  for (let kind = queue.shift(); kind !== undefined; kind = queue.shift()) {
    const p = runChild(kind);
    results.set(kind, p);
    await p;
  }
});
const all = Promise.all(slots);

for (const kind of KINDS) {
  t.test(`check that does this: ${kind}`, async (t) => {
    await all;
    const { code, stdout, stderr } = (await results.get(kind)) ?? { code: -1, stdout: '', stderr: '' };
    t.equal(code, 0, `the process lived and ended on its own (stderr: ${stderr.slice(0, 800)})`);
    const r = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Result;
    t.ok(r.lastRuns >= 3, `the schedule went on while failing (${r.lastRuns} distinct lastRun values)`);
    t.equal(r.failing.status, 'fail', 'recorded as failing');
    t.type(r.failing.error, 'string', 'with a description');
    t.ok((r.failing.error ?? '').length > 0 && !(r.failing.error ?? '').includes('\n'), `one safe line: ${r.failing.error}`);
    for (const b of r.bodies) {
      t.ok([200, 503].includes(b.status), `${b.path} answered ${b.status}`);
      t.ok(b.type?.startsWith('application/') || b.type?.startsWith('text/plain'), `${b.path} is a probe answer`);
      if (b.type?.includes('json')) t.doesNotThrow(() => JSON.parse(b.body), `${b.path} body is JSON`);
    }
    t.equal(r.bodies.find((b) => b.path === '/ready')?.status, 503);
    t.equal(r.recovered.status, 'pass', 'it recovered when the check passed again');
    t.equal(r.recovered.error, null);
    t.equal(r.ready, 'pass');
  });
}

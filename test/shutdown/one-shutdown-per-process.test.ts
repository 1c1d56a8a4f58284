// One shutdown per process, however it starts, in child processes with two registries: a signal that arrives while a
// shutdown started from code runs joins it (and starts the other registry's sequence), it is not a second signal; the
// same for two registries listening to different signals. Only a signal after a signal exits at once, with code 1.
import { type ChildProcess, spawn } from 'node:child_process';
import t from 'tap';
import { waitFor } from '../helpers/wait.js';
import { ROOT } from './proc.js';

type Line = { t: number; event: string; app?: string; msg?: string; code?: number };

interface Child {
  child: ChildProcess;
  lines: Line[];
  waitLine(pred: (l: Line) => boolean, what: string, ms?: number): Promise<Line>;
  exit: Promise<{ code: number | null; at: number }>;
}

function start(env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/shutdown/fixtures/two-registries.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: Line[] = [];
  let buf = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => {
    buf += c;
    for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
      lines.push(JSON.parse(buf.slice(0, nl)) as Line);
      buf = buf.slice(nl + 1);
    }
  });
  const exit = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.on('exit', (code) => resolve({ code, at: Date.now() })),
  );
  let closed = false;
  child.on('close', () => {
    closed = true;
  });
  const waitLine = async (pred: (l: Line) => boolean, what: string, ms = 30_000) => {
    await waitFor(() => lines.some(pred) || closed, what, ms, 10);
    const found = lines.find(pred);
    if (found === undefined) throw new Error(`the process ended before ${what}: ${JSON.stringify(lines)}`);
    return found;
  };
  return { child, lines, waitLine, exit };
}

const started = (app: string) => (l: Line) => l.app === app && l.msg?.startsWith('probekit: shutdown started') === true;
const count = (c: Child, pred: (l: Line) => boolean) => c.lines.filter(pred).length;

t.test('health.shutdown() from code, then SIGTERM: the signal joins it, every hook runs, exit 0', async (t) => {
  const c = start({ A_SIGNALS: 'SIGTERM', B_SIGNALS: 'SIGTERM', DELAY: '1500' });
  t.teardown(() => c.child.kill('SIGKILL'));
  await c.waitLine((l) => l.event === 'ready', 'ready');
  c.child.stdin?.write('shutdown A\n');
  await c.waitLine(started('A'), "A's sequence");
  c.child.kill('SIGTERM');
  await c.waitLine(started('B'), "B's sequence, started by the signal");
  const { code } = await c.exit;
  t.equal(code, 0, "the sequences' exit code, not 1");
  t.equal(
    count(c, (l) => l.event === 'hook' && l.app === 'A'),
    1,
    "A's hook ran",
  );
  t.equal(
    count(c, (l) => l.event === 'hook' && l.app === 'B'),
    1,
    "B's hook ran",
  );
  t.equal(count(c, started('A')), 1, "A's sequence started once");
  t.equal(count(c, started('B')), 1, "B's sequence started once");
  t.notOk(
    c.lines.some((l) => l.msg?.includes('second signal')),
    'no "second signal" line',
  );
  t.equal(c.lines.at(-1)?.event, 'exit', 'the exit comes last, after both hooks');
});

t.test('SIGTERM, then SIGTERM during the delay: exit 1 at once', async (t) => {
  const c = start({ A_SIGNALS: 'SIGTERM', B_SIGNALS: 'SIGTERM', DELAY: '5000' });
  t.teardown(() => c.child.kill('SIGKILL'));
  await c.waitLine((l) => l.event === 'ready', 'ready');
  c.child.kill('SIGTERM');
  await c.waitLine(started('A'), "A's sequence");
  await c.waitLine(started('B'), "B's sequence");
  const second = Date.now();
  c.child.kill('SIGTERM');
  const { code, at } = await c.exit;
  t.equal(code, 1);
  // The delay has 5 s to run; at once is well inside it, however busy the machine.
  t.ok(at - second < 3000, `exited at once (${at - second} ms after the second signal)`);
  t.equal(
    count(c, (l) => l.event === 'hook'),
    0,
    'no hook had its turn',
  );
});

t.test('health.shutdown() from code, SIGTERM, then SIGTERM again: the third start is a second signal', async (t) => {
  const c = start({ A_SIGNALS: 'SIGTERM', B_SIGNALS: 'SIGTERM', DELAY: '5000' });
  t.teardown(() => c.child.kill('SIGKILL'));
  await c.waitLine((l) => l.event === 'ready', 'ready');
  c.child.stdin?.write('shutdown A\n');
  await c.waitLine(started('A'), "A's sequence");
  c.child.kill('SIGTERM');
  await c.waitLine(started('B'), "B's sequence");
  const second = Date.now();
  c.child.kill('SIGTERM');
  const { code, at } = await c.exit;
  t.equal(code, 1);
  t.ok(at - second < 3000, `exited at once (${at - second} ms after the second signal)`);
});

t.test('A on SIGTERM, B on SIGUSR2: SIGUSR2 then SIGTERM is one shutdown, each sequence starts once', async (t) => {
  const c = start({ A_SIGNALS: 'SIGTERM', B_SIGNALS: 'SIGUSR2', DELAY: '1500' });
  t.teardown(() => c.child.kill('SIGKILL'));
  await c.waitLine((l) => l.event === 'ready', 'ready');
  c.child.kill('SIGUSR2');
  await c.waitLine(started('B'), "B's sequence");
  t.equal(count(c, started('A')), 0, 'A does not listen to SIGUSR2');
  c.child.kill('SIGTERM');
  await c.waitLine(started('A'), "A's sequence, started by SIGTERM");
  const { code } = await c.exit;
  t.equal(code, 0);
  t.equal(count(c, started('A')), 1);
  t.equal(count(c, started('B')), 1);
  t.equal(
    count(c, (l) => l.event === 'hook'),
    2,
    'both hooks ran',
  );
  t.equal(c.lines.at(-1)?.event, 'exit');
});

t.test('A on SIGTERM, B on SIGUSR2: SIGUSR2, SIGTERM, then SIGUSR2 again exits at once', async (t) => {
  const c = start({ A_SIGNALS: 'SIGTERM', B_SIGNALS: 'SIGUSR2', DELAY: '5000' });
  t.teardown(() => c.child.kill('SIGKILL'));
  await c.waitLine((l) => l.event === 'ready', 'ready');
  c.child.kill('SIGUSR2');
  await c.waitLine(started('B'), "B's sequence");
  c.child.kill('SIGTERM');
  await c.waitLine(started('A'), "A's sequence");
  const second = Date.now();
  c.child.kill('SIGUSR2');
  const { code, at } = await c.exit;
  t.equal(code, 1);
  t.ok(at - second < 3000, `exited at once (${at - second} ms after the repeated signal)`);
});

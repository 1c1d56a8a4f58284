// The default logger's destination: lines reach a reader; once the reader is gone (EPIPE) the log ends there, writes
// never throw or block, and nothing is left for an `exit` handler to flush (no handler is registered at all).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import t from 'tap';
import { stdoutDestination } from '../../src/core/stdout-destination.js';

/** A child that reads its stdin and reports the bytes it got on stdout; `fd` is our writing end of that pipe. */
async function reader() {
  const child = spawn(
    process.execPath,
    ['-e', "let n = 0; process.stdin.on('data', (c) => { n += c.length; }).on('end', () => process.stdout.write(String(n)))"],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  await once(child, 'spawn');
  const fd = (child.stdin as unknown as { _handle: { fd: number } })._handle.fd;
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  return { child, fd, out: () => out };
}

t.test('lines reach the reader', async (t) => {
  const r = await reader();
  const dest = stdoutDestination(r.fd);
  for (let i = 0; i < 10; i++) dest.write(`{"i":${i}}\n`);
  r.child.stdin.end();
  await once(r.child, 'close');
  t.equal(Number(r.out()), 10 * '{"i":0}\n'.length);
});

t.test('the reader gone: the log ends, writes neither throw nor block, no exit handler', async (t) => {
  const exitHandlers = process.listenerCount('exit');
  const r = await reader();
  const dest = stdoutDestination(r.fd);
  dest.write('before\n');
  r.child.kill('SIGKILL');
  await once(r.child, 'exit');
  const t0 = Date.now();
  for (let i = 0; i < 100; i++) dest.write(`{"after":${i}}\n`);
  t.ok(Date.now() - t0 < 1000, `100 writes after EPIPE took ${Date.now() - t0} ms`);
  t.equal(process.listenerCount('exit'), exitHandlers, 'no exit handler registered');
  r.child.stdin.destroy();
});

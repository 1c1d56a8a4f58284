// `probekit watch` as a real process against servers that misbehave on purpose: an endless event ends that source
// (with bounded memory, and no reconnection), and an answer that is no probe answer (a `?watch` answered 404, an
// event saying `"status":"error"`) is shown as an error, never as passing.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import t from 'tap';
import { waitFor } from '../helpers/wait.js';
import { ensureBuilt, finished, spawnCli } from './cli.js';
import { probeServer } from './servers.js';

ensureBuilt();

/** A loopback server answering with `handle`; counts requests; sockets destroyed on teardown. */
async function server(t: { teardown(fn: () => unknown): void }, handle: (req: IncomingMessage, res: ServerResponse) => void) {
  const sockets = new Set<Socket>();
  const seen: string[] = [];
  const s = createServer((req, res) => {
    seen.push(req.url ?? '');
    handle(req, res);
  });
  s.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        s.close(() => resolve());
      }),
  );
  return { origin: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, seen };
}

/** Starts `watch` with its output on a pipe (one line per change); killed on teardown. */
async function watchLines(t: { teardown(fn: () => unknown): void }, args: string[]) {
  const child = spawnCli(['watch', ...args]);
  const done = finished(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  t.teardown(() => child.kill('SIGKILL'));
  await once(child, 'spawn');
  return { child, done, text: () => out };
}

/** Peak resident memory of a process in MiB (Linux), or undefined. */
function peakRssMiB(pid: number | undefined): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? undefined : Number(m[1]) / 1024;
  } catch {
    return undefined;
  }
}

t.test('an event larger than 1 MiB is an error that ends that source: memory bounded, no reconnection', async (t) => {
  // Before, the data lines piled up: 1.7 GB in 6 s.
  let sent = 0;
  const hostile = await server(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    // `data:` lines of 32 KiB with never a blank line: one event that never ends, as fast as the client reads.
    const chunk = Buffer.from(`data: ${'x'.repeat(32 * 1024 - 7)}\n`);
    let open = true;
    res.on('close', () => {
      open = false;
    });
    const pump = () => {
      while (open) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
    };
    pump();
  });
  // A well-behaved endpoint beside it, polled: its requests show time passing, and it stays watched.
  const good = await probeServer();
  t.teardown(() => good.close());
  const url = `${hostile.origin}/ready`;
  const w = await watchLines(t, [url, `${good.origin}/live`, '--interval', '100ms']);
  await waitFor(() => w.text().includes(`${url} down: `), 'the hostile endpoint shown as down', 15_000);
  t.match(w.text(), `${url} down: the watch stream sent an event larger than 1 MiB; no longer watched\n`);
  const peak = peakRssMiB(w.child.pid);
  const requests = good.seen.length;
  await waitFor(() => good.seen.length >= requests + 8, 'eight more polls of the good endpoint', 15_000);
  t.equal(hostile.seen.length, 1, 'the hostile endpoint was not asked again');
  t.ok(sent < 16 * 1024 * 1024, `the server got to send ${(sent / 1024 / 1024).toFixed(1)} MiB before the cut`);
  if (peak !== undefined) t.ok(peak < 150, `the CLI's peak RSS: ${peak.toFixed(0)} MiB (< 150)`);
  t.match(w.text(), `${good.origin}/live pass\n`, 'the other endpoint is still watched');
  w.child.kill('SIGTERM');
  t.equal((await w.done).code, 0);

  // Alone, it leaves nothing to watch: not on a terminal, the command ends with code 1.
  const alone = await watchLines(t, [url, '--interval', '100ms']);
  const run = await alone.done;
  t.equal(run.code, 1, 'exit 1 once no source is left');
  t.match(run.stdout, `${url} down: the watch stream sent an event larger than 1 MiB; no longer watched\n`);
});

t.test('a ?watch answered 404 is an error, never pass', async (t) => {
  const json404 = JSON.stringify({ status: 'error', error: 'Not Found', message: 'No ready check named "missing"' });
  const variants: [string, (req: IncomingMessage, res: ServerResponse) => void, string][] = [
    [
      'probekit JSON',
      (_req, res) => {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(json404);
      },
      'down: GET ?watch answered 404: No ready check named "missing"\n',
    ],
    [
      'plain text',
      (_req, res) => {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('Not Found');
      },
      'down: GET ?watch answered 404\n',
    ],
    [
      'a 400 whose body claims nothing',
      (_req, res) => {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end('{}');
      },
      'down: GET ?watch answered 400\n',
    ],
    [
      'a stream whose event says status "error"',
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`data: ${json404}\n\n`);
      },
      'down: the watch stream sent no probe answer: No ready check named "missing"\n',
    ],
  ];
  for (const [name, handle, expected] of variants) {
    await t.test(name, async (t) => {
      const s = await server(t, handle);
      const url = `${s.origin}/ready/missing`;
      const w = await watchLines(t, [url, '--interval', '100ms']);
      // A stream stays open (one request); the others are asked a few times, each answer a chance to show `pass`.
      const rounds = name.startsWith('a stream') ? 1 : 3;
      await waitFor(() => w.text().includes(`${url} `) && s.seen.length >= rounds, 'a few answers', 15_000);
      t.notMatch(w.text(), / pass\n/, 'never shown as passing');
      t.notMatch(w.text(), / fail\n/, 'nor as a verdict on the checks');
      t.match(w.text(), `${url} ${expected}`);
      w.child.kill('SIGTERM');
      t.equal((await w.done).code, 0);
    });
  }
});

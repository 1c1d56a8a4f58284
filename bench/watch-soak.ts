// `npm run bench:watch`: 10,000 `/ready?watch` streams opened, read to their first event and closed, 50 at a time,
// against a Fastify app with probekit in a process of its own; its RSS and the registry's listener count are read
// before and after (after a warm-up of 1,000 cycles). Memory must stay flat: a stream that is gone is forgotten.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';

const CYCLES = Number(process.env.CYCLES ?? 10_000);
const CONCURRENCY = 50;
/** `PLAIN=1`: the control, plain `GET /ready` on a new connection each, to tell the streams' cost from a connection's. */
const PATH = process.env.PLAIN === '1' ? '/ready' : '/ready?watch';

const child = spawn(process.execPath, ['--import', 'tsx', '--expose-gc', 'bench/servers/watch-app.ts'], {
  stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
});
const [line] = (await once((child.stdout as NonNullable<typeof child.stdout>).setEncoding('utf8'), 'data')) as [string];
const { port } = JSON.parse(line) as { port: number };

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

async function stats(): Promise<{ rss: number; listeners: number; heap: number }> {
  child.send('gc');
  const [msg] = (await once(child, 'message')) as [{ listeners: number; heap: number }];
  return { rss: rssMb(child.pid as number), listeners: msg.listeners, heap: msg.heap };
}

function cycle(): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: PATH, agent: false }, (res) => {
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', (e) => (String(e).includes('socket hang up') ? resolve() : reject(e)));
    req.end();
  });
}

async function run(n: number): Promise<number> {
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (done < n) {
        done++;
        await cycle();
      }
    }),
  );
  return performance.now() - started;
}

await run(1000);
await new Promise((r) => setTimeout(r, 500));
const before = await stats();
let ms = 0;
const steps: string[] = [];
// In steps of 10,000 (or less), so that growth that levels off can be told from growth that goes on.
for (let left = CYCLES; left > 0; left -= 10_000) {
  ms += await run(Math.min(10_000, left));
  await new Promise((r) => setTimeout(r, 500));
  const s = await stats();
  steps.push(`${s.rss.toFixed(1)}`);
}
const after = await stats();
child.kill('SIGTERM');
const fmt = (s: typeof before) => `RSS ${s.rss.toFixed(1)} MB, heapUsed ${s.heap.toFixed(2)} MB, listeners ${s.listeners}`;
process.stdout.write(
  `${CYCLES} ${PATH} connect/read/disconnect cycles (${CONCURRENCY} at a time) in ${(ms / 1000).toFixed(1)} s\n` +
    `before: ${fmt(before)}\nafter:  ${fmt(after)}\n` +
    `growth: RSS ${(after.rss - before.rss).toFixed(1)} MB, heapUsed ${(after.heap - before.heap).toFixed(2)} MB\n` +
    `RSS after each 10,000: ${steps.join(', ')} MB\n`,
);

// Test files run several at a time (.taprc `jobs`). A file that needs something no other file may use at the same
// time takes a lock for its whole run, at its top level:
//   - 'mariadb', 'redis', 'postgres', 'kafka': it uses that shared server (test/services), which some files stop, pause
//     or count the queries of;
//   - 'load': it drives heavy load through the machine for tens of seconds (rolling restarts behind a layer-4 balancer
//     at 800 requests a second, an app's event loop saturated or blocked on purpose), whose timing two such files at
//     once would both disturb. (Behind HAProxy in HTTP mode, which retries, a rollout needs no lock.)
// A lock is a directory made with mkdir (atomic) under the checkout's .tap/locks, holding its owner's pid; it goes
// when the process exits, and a lock whose owner is gone is taken over.
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/** What a lock guards (see the file's head). */
export type LockName = 'mariadb' | 'redis' | 'postgres' | 'kafka' | 'load';

const root = fileURLToPath(new URL('../../.tap/locks/', import.meta.url));
const held = new Set<string>();

/** The order locks are taken in, whatever the order asked: two files that each want both never wait on each other. */
const ORDER: readonly LockName[] = ['mariadb', 'redis', 'postgres', 'kafka', 'load'];

/** Waits until this process holds every lock named, then keeps them until the process exits. */
export async function exclusive(...names: LockName[]): Promise<void> {
  for (const name of ORDER) if (names.includes(name)) await take(name);
  if (names.includes('load')) raisePriority();
}

/**
 * A heavy file must keep its pace (800 requests a second, probes each 250 ms) beside the other files: it and the
 * processes it starts from now on (which inherit it) get a higher CPU priority, where the system allows it.
 */
function raisePriority(): void {
  try {
    setPriority(-10);
  } catch {
    // Not allowed here (no privilege to lower a nice value): the file runs at the usual priority.
  }
}

/** Takes one lock, polling up to `timeoutMs`. */
async function take(name: LockName, timeoutMs = 600_000): Promise<void> {
  const dir = join(root, name);
  if (held.has(dir)) return;
  mkdirSync(root, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'pid'), String(process.pid));
      held.add(dir);
      if (held.size === 1) process.once('exit', release);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (ownerGone(dir)) rmSync(dir, { recursive: true, force: true });
    else if (Date.now() > deadline) throw new Error(`the '${name}' lock was still held after ${timeoutMs} ms`);
    else await sleep(100);
  }
}

function release(): void {
  for (const dir of held) rmSync(dir, { recursive: true, force: true });
  held.clear();
}

/** True when the lock's owner no longer runs (it was killed before its exit handler). */
function ownerGone(dir: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
  } catch {
    // Made a moment ago and its pid not written yet, unless its maker died in between.
    try {
      return Date.now() - statSync(dir).mtimeMs > 5000;
    } catch {
      return false;
    }
  }
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

// One measurement of one variant: start its server, check its answer, warm up, load it, read its RSS, stop it.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Loader, runLoad } from './load.js';
import { startServer, waitForStatus } from './server.js';
import type { RoundResult } from './stats.js';
import { BODY_BYTES, type Variant } from './variants.js';

/** How every measurement of a run is taken. */
export interface MeasureSettings {
  readonly loader: Loader;
  readonly warmup: number;
  readonly duration: number;
  readonly connections: number;
  readonly serverCore: number | undefined;
  readonly loadCore: number | undefined;
  /** Directory for V8 CPU profiles of the servers (one per measurement), or undefined for none. */
  readonly profileDir: string | undefined;
}

/** A variant answered something else than its expected status or body size: the run stops, loudly. */
export class WrongAnswerError extends Error {
  override name = 'WrongAnswerError';
  readonly code = 'BENCH_ERR_WRONG_ANSWER';
}

/**
 * Measures one variant once.
 * @throws ServerStartError when the server does not start (the runner skips the variant),
 *   WrongAnswerError when its answer is not the expected one (the runner stops), LoadOutputError from the generator.
 */
export async function measure(v: Variant, round: number, s: MeasureSettings): Promise<RoundResult> {
  // One directory per measurement: tsx's loader runs in a worker thread that writes a profile of its own.
  const nodeArgs =
    s.profileDir !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${join(s.profileDir as string, `${v.id}-r${round}`)}`] : [];
  const server = await startServer({
    file: v.file,
    args: v.checks === undefined ? [] : ['--checks', v.checks],
    nodeArgs,
    core: s.serverCore,
  });
  try {
    const url = `http://127.0.0.1:${server.port}${v.path}`;
    const headers = v.headers ?? {};
    const answer = await waitForStatus(url, headers, v.status, 10_000);
    if (answer instanceof Error) throw new WrongAnswerError(`${v.id}: GET ${v.path} failed: ${answer.message}`);
    const [min, max] = BODY_BYTES[v.body];
    if (answer.status !== v.status || answer.bytes < min || answer.bytes > max) {
      throw new WrongAnswerError(
        `${v.id}: GET ${v.path} answered ${answer.status} with ${answer.bytes} bytes; expected ${v.status} with ${min}-${max} bytes:\n${answer.body.slice(0, 500)}`,
      );
    }
    const spec = { url, headers, connections: s.connections, core: s.loadCore };
    if (s.warmup > 0) await runLoad(s.loader, { ...spec, seconds: s.warmup });
    const load = await runLoad(s.loader, { ...spec, seconds: s.duration });
    return { round, load, rssKb: server.rssKb(), bodyBytes: answer.bytes };
  } finally {
    await server.stop();
  }
}

/** Where the profiles of a run go: next to the results. */
export function profileDirFor(out: string): string {
  return join(out, '..', 'profiles');
}

/** The main thread's profile (thread id 0 in Node's default file name) of one measurement, if written. */
export function mainThreadProfile(profileDir: string, id: string, round: number): string | undefined {
  const dir = join(profileDir, `${id}-r${round}`);
  if (!existsSync(dir)) return undefined;
  const file = readdirSync(dir).find((f) => /\.[0-9]+\.0\.[0-9]+\.cpuprofile$/.test(f));
  return file === undefined ? undefined : join(dir, file);
}

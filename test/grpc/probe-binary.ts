// The real grpc-health-probe binary: built once per machine by test/services/lib/grpc-health-probe.sh (Go toolchain,
// Go module proxy, cached outside the repo), and run here as a Kubernetes exec probe would run it.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../services/lib/grpc-health-probe.sh', import.meta.url));
/** The script's exit code for "it cannot be had on this machine" (no Go, or the build failed). */
const EXIT_UNAVAILABLE = 3;

export type ProbeBinary = { path: string } | { skip: string };

let found: Promise<ProbeBinary> | undefined;

/**
 * The binary's path, building it first if needed; or a one-line reason to skip when it cannot be had here.
 * Under CI=true that is an error instead. Memoized per process.
 */
export function probeBinary(): Promise<ProbeBinary> {
  found ??= new Promise<ProbeBinary>((resolve, reject) => {
    // The build can take a minute on a cold cache; tap's own environment must not leak into the Go build.
    const env = { ...process.env, NODE_OPTIONS: '' };
    execFile('bash', [script], { env, timeout: 10 * 60_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (!err) return resolve({ path: stdout.trim() });
      const why = stderr.trim().split('\n').at(-1) || err.message;
      if ((err as { code?: unknown }).code !== EXIT_UNAVAILABLE) return reject(new Error(`grpc-health-probe.sh: ${why}`));
      if (process.env.CI === 'true') return reject(new Error(`grpc-health-probe unavailable under CI: ${why}`));
      resolve({ skip: `grpc-health-probe unavailable: ${why}` });
    });
  });
  return found;
}

/** What one run of the probe gave: its exit code and its one line of output. */
export interface ProbeRun {
  code: number | null;
  output: string;
}

/** Runs `grpc-health-probe -addr <addr> [args]` once, as the kubelet's exec probe would; never rejects. */
export function runProbe(bin: string, addr: string, args: readonly string[] = []): Promise<ProbeRun> {
  return new Promise((resolve) => {
    execFile(bin, [`-addr=${addr}`, ...args], { timeout: 15_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
      resolve({ code, output: `${stdout}${stderr}`.trim() });
    });
  });
}

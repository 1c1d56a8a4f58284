import { Worker } from 'node:worker_threads';
import { ProbeServerError } from '../core/errors.js';
import type { HealthLike } from '../core/health-like.js';
import type { SafeLogger } from '../core/logger.js';
import { BEAT_MS, beat, createHeartbeat } from './heartbeat.js';
import type { NormalizedProbeServer } from './options.js';
import type { FromWorker, ToWorker, WorkerInput } from './worker.js';

/** Where the probe server listens. */
export interface ProbeServerAddress {
  readonly host: string;
  readonly port: number;
}

/** What the probe server follows: the registry's state and its `change` and `run` events. */
export type ProbeStateSource = Pick<HealthLike, 'on' | 'off' | 'probeState'>;

/**
 * Starts the worker. Built, the worker is `worker.js` next to this file; from the TypeScript sources (tests, tsx),
 * it is `worker.ts`, loaded through tsx's loader registered inside the thread first (Node 20 does not apply an
 * `--import` given in a worker's `execArgv` to the worker's entry module).
 */
function spawnWorker(workerData: WorkerInput): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./worker.js', here), { workerData });
  const entry = JSON.stringify(new URL('./worker.ts', here).href);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const code = `import(${tsx}).then((tsx) => { tsx.register(); return import(${entry}); });`;
  return new Worker(code, { eval: true, workerData });
}

/**
 * The app's side of the probe server: starts its thread, publishes the registry's state on every change and run
 * (coalesced to one message per turn), and the heartbeat of the event loop every {@link BEAT_MS} ms. Nothing runs per
 * app request. The thread keeps the process alive only while it starts (so that `await listening` works in a
 * process with nothing else to do); once it listens, or failed to, it is unref'd and never holds the process again.
 * It is unref'd after its listeners are added: adding a 'message' listener refs a worker's port again.
 */
export class ProbeServer {
  /**
   * Resolves with the address once the server listens; rejects with a {@link ProbeServerError} when it cannot
   * (the error is logged either way, so leaving this promise alone is fine).
   */
  readonly listening: Promise<ProbeServerAddress>;
  private readonly worker: Worker;
  private readonly heartbeat = createHeartbeat();
  private timer: NodeJS.Timeout | undefined;
  private scheduled = false;
  private closed = false;
  private settle: { resolve(a: ProbeServerAddress): void; reject(e: ProbeServerError): void } | undefined;

  constructor(
    private readonly source: ProbeStateSource,
    private readonly cfg: NormalizedProbeServer,
    private readonly logger: SafeLogger,
  ) {
    this.listening = new Promise<ProbeServerAddress>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    // Marked handled: an app that never reads `listening` must not get an unhandled rejection (the error is logged).
    this.listening.catch(() => {});
    const { host, port, maxBlockMs, http } = cfg;
    this.worker = spawnWorker({ host, port, maxBlockMs, http, heartbeat: this.heartbeat, state: source.probeState() });
    this.worker.on('message', (message: FromWorker) => this.onMessage(message));
    this.worker.on('error', (err) => {
      this.fail(new ProbeServerError(`the probe server's thread failed: ${err.message}`));
      void this.close();
    });
    this.worker.on('exit', (code) => {
      if (!this.closed) this.fail(new ProbeServerError(`the probe server's thread exited with code ${code}`));
    });
    source.on('change', this.publish);
    source.on('run', this.publish);
    this.tick();
  }

  /** Stops publishing and the heartbeat, ends the thread and its server. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.source.off('change', this.publish);
    this.source.off('run', this.publish);
    this.settle?.reject(new ProbeServerError('the probe server was closed before it listened'));
    this.settle = undefined;
    await this.worker.terminate();
  }

  /** Records a turn of the event loop and re-arms (an unref'd timer: it never keeps the process alive). */
  private readonly tick = (): void => {
    beat(this.heartbeat);
    this.timer = setTimeout(this.tick, BEAT_MS);
    this.timer.unref();
  };

  /** Sends the state once per turn however many runs ended in it; a microtask, so a shutdown is followed at once. */
  private readonly publish = (): void => {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      if (this.closed) return;
      this.worker.postMessage({ type: 'state', state: this.source.probeState() } satisfies ToWorker);
    });
  };

  private onMessage(message: FromWorker): void {
    if (message.type === 'listening') {
      this.logger.info(
        { host: message.host, port: message.port },
        `probekit: probe server listening on ${message.host}:${message.port}`,
      );
      this.settle?.resolve({ host: message.host, port: message.port });
      this.settle = undefined;
      this.worker.unref();
      return;
    }
    const where = `${this.cfg.host}:${this.cfg.port}`;
    this.fail(new ProbeServerError(`the probe server could not listen on ${where}: ${message.message}`, message.code));
    void this.close();
  }

  private fail(error: ProbeServerError): void {
    if (this.closed) return;
    this.logger.error(
      { err: error, host: this.cfg.host, port: this.cfg.port, code: error.syscallCode },
      `probekit: ${error.message}`,
    );
    this.settle?.reject(error);
    this.settle = undefined;
    this.worker.unref();
  }
}

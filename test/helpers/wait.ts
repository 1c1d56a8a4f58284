import type { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `predicate` every `every` ms until it is true; rejects after `timeout` ms (bounded, never a bare sleep). */
export async function waitFor(predicate: () => boolean, what: string, timeout = 5000, every = 5): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(every);
  }
}

/** Resolves with the first `event` whose argument satisfies `accept`; rejects after `timeout` ms. */
export function nextEvent<T>(emitter: EventEmitter, event: string, accept: (arg: T) => boolean = () => true, timeout = 5000) {
  return new Promise<T>((resolve, reject) => {
    const onEvent = (arg: T) => {
      if (!accept(arg)) return;
      cleanup();
      resolve(arg);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${timeout} ms waiting for '${event}'`));
    }, timeout);
    const cleanup = () => {
      clearTimeout(timer);
      emitter.off(event, onEvent);
    };
    emitter.on(event, onEvent);
  });
}

/** A promise with its resolve and reject functions outside. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

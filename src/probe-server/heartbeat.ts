/** How often the app's thread records a turn of its event loop, in ms. */
export const BEAT_MS = 100;

/**
 * A heartbeat shared between the app's thread and the probe server's: one 64-bit slot in a SharedArrayBuffer holding
 * the monotonic time (`process.hrtime`, the same clock in every thread of a process) of the event loop's last turn.
 * Writing it is one `Atomics.store`; reading it needs no message, so it works while the app's thread is busy.
 */
export function createHeartbeat(): BigInt64Array {
  const view = new BigInt64Array(new SharedArrayBuffer(8));
  beat(view);
  return view;
}

/** Records a turn of the event loop now. */
export function beat(view: BigInt64Array): void {
  Atomics.store(view, 0, process.hrtime.bigint());
}

/** Milliseconds since the last recorded turn. */
export function sinceBeat(view: BigInt64Array): number {
  return Number(process.hrtime.bigint() - Atomics.load(view, 0)) / 1e6;
}

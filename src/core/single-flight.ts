/**
 * Helpers for checks that must never pile requests on a dependency that does not answer: whatever a run asked for is
 * shared with the runs after it until it settles, instead of being asked for again.
 */

/**
 * Wraps `fn` so that at most one call is in flight: a call made while one is pending gets the same promise.
 * The checks use it for a query or a PING on a single connection that the app owns.
 */
export function singleFlight<T>(fn: () => Promise<T>): () => Promise<T> {
  let current: Promise<T> | null = null;
  return () => {
    if (current) return current;
    // Through a promise chain, so that an `fn` that throws synchronously still gives a rejected promise.
    const p = Promise.resolve().then(fn);
    current = p;
    const clear = () => {
      if (current === p) current = null;
    };
    p.then(clear, clear);
    return p;
  };
}

/**
 * One acquisition at a time (a pool checkout, a connection attempt), handed out in turn. A run waits for it within
 * its own signal; a run that gives up leaves it to the next one, and what nobody waits for any more is given back
 * at once. So a server that accepts connections but never answers costs the pool one slot, not one per run.
 */
export function borrower<T>(acquire: () => Promise<T>, giveBack: (value: T) => void): (signal: AbortSignal) => Promise<T> {
  type Waiter = { resolve(v: T): void; reject(e: unknown): void };
  const waiters: Waiter[] = [];
  let attempting = false;
  const next = () => {
    if (attempting || waiters.length === 0) return;
    attempting = true;
    Promise.resolve()
      .then(acquire)
      .then(
        (v) => {
          attempting = false;
          const w = waiters.shift();
          if (w) w.resolve(v);
          else giveBack(v);
          next();
        },
        (e: unknown) => {
          attempting = false;
          waiters.shift()?.reject(e);
          next();
        },
      );
  };
  return (signal) =>
    new Promise<T>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const onAbort = () => {
        const i = waiters.indexOf(w);
        if (i !== -1) waiters.splice(i, 1);
        reject(signal.reason);
      };
      const w: Waiter = {
        resolve(v) {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        reject(e) {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      waiters.push(w);
      next();
    });
}

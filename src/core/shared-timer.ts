import { MAX_TIMER_MS } from './bounds.js';
import type { Timers } from './types.js';

/**
 * One thing a {@link SharedTimer} fires: a check's next run or a run's timeout. Made once per use and scheduled again
 * and again; its fields belong to the timer.
 */
export class TimerSlot {
  /** When it is due, on the timer's clock ({@link SharedTimer.now}); kept after it fired. */
  due = 0;
  /** How many ms early it may fire to share a wake-up with an earlier slot (0: never early). */
  slack = 0;
  /** Its place in the heap; -1 when not scheduled, -2 while picked for the wake-up in progress. */
  index = -1;
  /** Order of scheduling: slots due at the same time fire in the order they were scheduled, like timers do. */
  seq = 0;

  constructor(readonly fire: () => void) {}
}

/** The slot is picked for the wake-up in progress: it fires unless cancelled or scheduled again before its turn. */
const PICKED = -2;

/**
 * A registry's one real timer: every check's next run and every run's timeout is a {@link TimerSlot} in a binary
 * heap ordered by due time (insert and removal in O(log n)), and a single timer of `timers` is armed for the earliest.
 * A wake-up fires every slot due by then, and also the slots due within their `slack` (the jittered runs): a
 * thousand jittered checks then wake the event loop a few times per interval instead of once per run, each wake-up
 * (a timer of the event loop, when the due times differ) costing more than a no-op run itself. The jitter's spread of
 * the runs across pods stays: a run moves by at most its slack, a small share of the spread.
 * With nothing scheduled no timer is armed, so a stopped registry keeps no process alive and leaves no fake timer.
 */
export class SharedTimer {
  private readonly heap: TimerSlot[] = [];
  private readonly batch: TimerSlot[] = [];
  private handle: unknown = null;
  /** The due time the armed timer was set for. */
  private armedFor = 0;
  /** The time of the wake-up in progress (or of the last one): what the slots it fires count from. */
  private wokeAt = 0;
  private firing = false;
  private seq = 0;
  private readonly clock: () => number;

  constructor(private readonly timers: Timers) {
    // The monotonic clock when there is one (the wall clock may jump); fake timers give `now` only.
    const { monotonic } = timers;
    this.clock = monotonic === undefined ? () => timers.now() : () => monotonic.call(timers);
  }

  /** The timer's clock, in ms (the monotonic clock of `timers`, else its wall clock). */
  now(): number {
    return this.clock();
  }

  /**
   * The time of the wake-up that fires the slot in progress, on the timer's clock: the same for every slot of a
   * wake-up, however long the slots before it took. Read while a slot fires.
   */
  get firedAt(): number {
    return this.wokeAt;
  }

  /** Slots scheduled (and not fired nor cancelled). */
  get size(): number {
    return this.heap.length;
  }

  /** Whether a timer of `timers` is armed now. */
  get armed(): boolean {
    return this.handle !== null;
  }

  /**
   * Schedules `slot` to fire `ms` from now (replacing its earlier schedule, if any), or as early as `ms - slack` when a
   * wake-up happens then anyway.
   */
  schedule(slot: TimerSlot, ms: number, slack = 0): void {
    if (slot.index >= 0) this.remove(slot);
    slot.due = this.clock() + ms;
    slot.slack = slack;
    slot.seq = ++this.seq;
    slot.index = this.heap.length;
    this.heap.push(slot);
    this.up(slot.index);
    this.arm();
  }

  /** Unschedules `slot` (nothing when it is not scheduled). */
  cancel(slot: TimerSlot): void {
    if (slot.index >= 0) {
      const wasFirst = slot.index === 0;
      this.remove(slot);
      // The timer may be armed for this slot (a run's timeout, cancelled when the run ends): moved to the next slot
      // rather than left to wake the event loop for nothing.
      this.arm(wasFirst);
    } else {
      slot.index = -1;
    }
  }

  /** Unschedules every slot and clears the armed timer. */
  clear(): void {
    for (const slot of this.heap) slot.index = -1;
    this.heap.length = 0;
    this.disarm();
  }

  private wake(): void {
    this.handle = null;
    // The timer was set for `armedFor`: what is due by then is due, even if the clock reads a hair earlier.
    const now = Math.max(this.clock(), this.armedFor);
    this.wokeAt = now;
    // Picked first, fired next: a slot a firing schedules again waits for the next wake-up, never loops here.
    // One array for every wake-up (a wake-up never runs inside another), emptied after.
    const batch = this.batch;
    for (let top = this.heap[0]; top !== undefined; top = this.heap[0]) {
      if (top.due > now && top.due - top.slack > now) break;
      this.remove(top);
      top.index = PICKED;
      batch.push(top);
    }
    this.firing = true;
    let failure: { error: unknown } | undefined;
    for (const slot of batch) {
      if (slot.index !== PICKED) continue;
      slot.index = -1;
      try {
        slot.fire();
      } catch (error) {
        // The other slots still fire; the first error is thrown once the timer is armed again, as before.
        failure ??= { error };
      }
    }
    batch.length = 0;
    this.firing = false;
    this.arm();
    if (failure !== undefined) throw failure.error;
  }

  /**
   * Arms the timer for the earliest slot, unless it is armed for that time, or for earlier and not `moved` (that
   * wake-up re-arms it).
   */
  private arm(moved = false): void {
    if (this.firing) return;
    const top = this.heap[0];
    if (top === undefined) {
      this.disarm();
      return;
    }
    if (this.handle !== null && (this.armedFor === top.due || (this.armedFor < top.due && !moved))) return;
    this.disarm();
    this.armedFor = top.due;
    // Whole ms (Node keys its timer lists by duration), never past a timer's range.
    const ms = Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(top.due - this.clock())));
    this.handle = this.timers.setTimeout(() => this.wake(), ms);
  }

  private disarm(): void {
    if (this.handle === null) return;
    this.timers.clearTimeout(this.handle);
    this.handle = null;
  }

  private remove(slot: TimerSlot): void {
    const i = slot.index;
    const last = this.heap.pop() as TimerSlot;
    slot.index = -1;
    if (last === slot) return;
    this.heap[i] = last;
    last.index = i;
    this.down(i);
    this.up(last.index);
  }

  private up(i: number): void {
    const heap = this.heap;
    const slot = heap[i] as TimerSlot;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = heap[p] as TimerSlot;
      if (!before(slot, parent)) break;
      heap[i] = parent;
      parent.index = i;
      i = p;
    }
    heap[i] = slot;
    slot.index = i;
  }

  private down(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const slot = heap[i] as TimerSlot;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      const right = c + 1;
      if (right < n && before(heap[right] as TimerSlot, heap[c] as TimerSlot)) c = right;
      const child = heap[c] as TimerSlot;
      if (!before(child, slot)) break;
      heap[i] = child;
      child.index = i;
      i = c;
    }
    heap[i] = slot;
    slot.index = i;
  }
}

/** Whether `a` fires before `b`: the earlier due time, then the earlier scheduled. */
function before(a: TimerSlot, b: TimerSlot): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

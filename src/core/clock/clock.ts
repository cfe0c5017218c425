/**
 * Time as modules see it. Injected so that tests can drive schedules, back-offs and staleness
 * deterministically (a manual clock) instead of sleeping.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): Timer;
  clearTimeout(timer: Timer): void;
  setInterval(fn: () => void, ms: number): Timer;
  clearInterval(timer: Timer): void;
}

export type Timer = { readonly id: unknown };

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => ({ id: setTimeout(fn, ms) }),
  clearTimeout: (t) => clearTimeout(t.id as NodeJS.Timeout),
  setInterval: (fn, ms) => ({ id: setInterval(fn, ms) }),
  clearInterval: (t) => clearInterval(t.id as NodeJS.Timeout),
};

/** A clock that moves only when told to; timers fire in time order during `advance`. */
export class ManualClock implements Clock {
  private current: number;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void; every?: number }>();

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const id = ++this.seq;
    this.timers.set(id, { at: this.current + Math.max(0, ms), fn });
    return { id };
  }

  clearTimeout(timer: Timer): void {
    this.timers.delete(timer.id as number);
  }

  setInterval(fn: () => void, ms: number): Timer {
    const id = ++this.seq;
    this.timers.set(id, { at: this.current + Math.max(1, ms), fn, every: Math.max(1, ms) });
    return { id };
  }

  clearInterval(timer: Timer): void {
    this.timers.delete(timer.id as number);
  }

  /** Pending timers (for tests asserting that stop() cleared everything). */
  get pending(): number {
    return this.timers.size;
  }

  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const next = this.nextDue(target);
      if (!next) break;
      const [id, t] = next;
      this.current = t.at;
      if (t.every) t.at += t.every;
      else this.timers.delete(id);
      t.fn();
    }
    this.current = target;
  }

  private nextDue(limit: number): [number, { at: number; fn: () => void; every?: number }] | undefined {
    let best: [number, { at: number; fn: () => void; every?: number }] | undefined;
    for (const entry of this.timers) {
      if (entry[1].at <= limit && (!best || entry[1].at < best[1].at)) best = entry;
    }
    return best;
  }
}

import type { LeaderWork } from './types.js';

/**
 * The registered leader work and the runs in progress: every implementation calls `begin()` when
 * it starts leading and `end()` when it stops, and gets the same abort semantics.
 */
export class LeaderWorkSet {
  private readonly works = new Set<LeaderWork>();
  private readonly running = new Map<LeaderWork, AbortController>();
  private active = false;

  constructor(private readonly onError: (err: unknown) => void) {}

  add(work: LeaderWork): () => void {
    this.works.add(work);
    if (this.active) this.run(work);
    return () => {
      this.works.delete(work);
      this.running.get(work)?.abort();
      this.running.delete(work);
    };
  }

  begin(): void {
    if (this.active) return;
    this.active = true;
    for (const w of this.works) this.run(w);
  }

  end(): void {
    if (!this.active) return;
    this.active = false;
    for (const c of this.running.values()) c.abort();
    this.running.clear();
  }

  private run(work: LeaderWork): void {
    const controller = new AbortController();
    this.running.set(work, controller);
    try {
      const result = work(controller.signal);
      if (result && typeof (result as Promise<void>).catch === 'function')
        (result as Promise<void>).catch((err: unknown) => {
          if (!controller.signal.aborted) this.onError(err);
        });
    } catch (err) {
      this.onError(err);
    }
  }
}

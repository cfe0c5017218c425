/** Reconnect delays: exponential from `initialMs` doubling to `maxMs`, with jitter (docs/link.md). */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** 0..1, injected so tests can pin the jitter. */
  random: () => number;
}

export const DEFAULT_BACKOFF = { initialMs: 500, maxMs: 30_000 } as const;

/**
 * "Equal jitter": half of the exponential step is fixed, half random, so that many edge nodes
 * cut off by the same outage do not all reconnect to the cloud in the same instant.
 */
export class Backoff {
  private attempt = 0;

  constructor(private readonly options: BackoffOptions) {}

  next(): number {
    const step = Math.min(this.options.maxMs, this.options.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(step / 2 + (step / 2) * this.options.random());
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}

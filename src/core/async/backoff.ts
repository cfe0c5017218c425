/** Retry delays: from `initialMs`, times `factor` (default 2) per failure, at most `maxMs`. */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor?: number;
  /**
   * "Equal jitter" when given (0..1, injected so tests can pin it): half of each step fixed, half
   * random, so that many clients cut off by the same outage do not all retry in the same instant.
   */
  random?: () => number;
}

/**
 * One back-off for every retry loop: reconnecting the link, restarting a mapper, reopening a
 * serial port, probing an offline Modbus unit, reconnecting an OPC UA session.
 */
export class Backoff {
  private attempt = 0;

  constructor(private readonly options: BackoffOptions) {}

  /** The delay before the next attempt; each call is one more failure. */
  next(): number {
    const { initialMs, maxMs, factor = 2, random } = this.options;
    const step = Math.min(maxMs, initialMs * factor ** Math.min(this.attempt, 60));
    this.attempt++;
    return random ? Math.round(step / 2 + (step / 2) * random()) : step;
  }

  /** After a success: the next failure waits `initialMs` again. */
  reset(): void {
    this.attempt = 0;
  }

  /** Failures since the last reset. */
  get attempts(): number {
    return this.attempt;
  }
}

import type { Logger } from 'pino';
import type { MapperWorkloadStatus } from '../../contracts/index.js';
import type { Clock, Timer } from '../../core/clock/index.js';
import { Backoff, type BackoffOptions } from '../../core/async/index.js';
import { errorText } from '../../core/errors/index.js';
import type { ProcessRuntime, RunningWorkload, WorkloadSpec } from './runtime.js';

export interface BackOff extends BackoffOptions {
  /** A run longer than this resets the back-off. */
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackOff = { initialMs: 1000, maxMs: 60_000, resetAfterMs: 60_000 };

/**
 * Keeps one workload running like a pod's container: restart on exit with exponential back-off
 * (CrashLoopBackOff), ready only once the mapper says it is online.
 */
export class Supervisor {
  private running: RunningWorkload | undefined;
  private timer: Timer | undefined;
  private stopped = false;
  private readonly backoff: Backoff;
  private startedAt = 0;
  readonly status: MapperWorkloadStatus;

  constructor(
    readonly spec: WorkloadSpec,
    private readonly deps: {
      runtime: ProcessRuntime;
      clock: Clock;
      logger: Logger;
      backoff: BackOff;
      onChange: (s: MapperWorkloadStatus) => void;
    },
  ) {
    this.backoff = new Backoff(deps.backoff);
    this.status = { name: spec.name, protocols: spec.protocols, phase: 'Starting', restarts: 0, ready: false };
  }

  start(): void {
    void this.launch();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const running = this.running;
    this.running = undefined;
    await running?.stop(5000);
    this.update({ phase: 'Stopped', ready: false, pid: undefined });
  }

  /**
   * The edge is stopping: a workload that can outlive it (a container) is left running for the
   * next edge process to adopt; any other is stopped.
   */
  async detach(): Promise<void> {
    const running = this.running;
    if (!running?.detach) return this.stop();
    this.stopped = true;
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.running = undefined;
    running.detach();
  }

  /** The mapper's liveness topic said online or offline. */
  setReady(ready: boolean): void {
    if (this.stopped || !this.running) return;
    this.update({ ready, phase: ready ? 'Running' : this.status.phase === 'Running' ? 'Starting' : this.status.phase });
  }

  private async launch(): Promise<void> {
    if (this.stopped) return;
    this.update({ phase: 'Starting', ready: false });
    let running: RunningWorkload;
    try {
      running = await this.deps.runtime.run(this.spec);
    } catch (err) {
      this.crashed(`cannot start: ${errorText(err)}`);
      return;
    }
    if (this.stopped) {
      await running.stop(5000);
      return;
    }
    this.running = running;
    this.startedAt = this.deps.clock.now();
    this.update({ pid: running.pid, reason: undefined });
    void running.exited.then(({ code, signal }) => {
      if (this.running !== running) return;
      this.running = undefined;
      this.crashed(`exited with ${signal ? `signal ${signal}` : `code ${code}`}`);
    });
  }

  private crashed(reason: string): void {
    if (this.stopped) return;
    if (this.deps.clock.now() - this.startedAt > this.deps.backoff.resetAfterMs) this.backoff.reset();
    const delay = this.backoff.next();
    this.update({
      phase: 'CrashLoopBackOff',
      ready: false,
      pid: undefined,
      restarts: this.status.restarts + 1,
      reason: `${reason}; restarting in ${delay} ms`,
    });
    this.deps.logger.warn(
      { mapper: this.spec.name, reason, delayMs: delay },
      'mapper ended; restarting after back-off',
    );
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      void this.launch();
    }, delay);
  }

  private update(change: Partial<MapperWorkloadStatus>): void {
    const before = JSON.stringify(this.status);
    Object.assign(this.status, change);
    for (const k of Object.keys(this.status) as Array<keyof MapperWorkloadStatus>)
      if (this.status[k] === undefined) delete this.status[k];
    if (JSON.stringify(this.status) !== before) this.deps.onChange({ ...this.status });
  }
}

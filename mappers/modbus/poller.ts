/**
 * Polls one Modbus device: per collect cycle, the planned merged reads go through the line's
 * queue; every response is decoded into the properties it serves, and the cycle ends in one
 * `readings` call for the device. A cycle still running when the next tick comes is skipped, not
 * stacked (a slow line must not build a backlog). The device's state follows what the line says:
 * `offlineAfterFailures` requests in a row without an answer (timeouts, a lost connection) ->
 * offline (the queue backs the unit off, so it costs the line nothing until its probe; failures
 * before that give bad readings with the reason, the device stays online: a flaky unit does not
 * flap); any answer, even a Modbus exception, -> online.
 * A merged request the device refuses with exception 2 (Illegal Data Address) is replaced in its
 * cycle group by smaller pieces (read-split.ts), read at once and from then on: the failing request
 * is not sent again each cycle. A device that never refuses keeps the planner's minimum.
 */
import type { Clock, Timer } from '../../src/core/clock/index.js';
import { errorText, isKedgeError } from '../../src/core/errors/index.js';
import type { DeviceState, DriverContext, DriverReading } from '../sdk/contract.js';
import { decodeAt } from './poller-decode.js';
import { isIllegalAddress, splitRequest } from './read-split.js';
import type { CycleGroup, DevicePlan, PropertyPlan } from './poller-plan.js';
import type { ReadRequest } from './planner.js';
import type { SharedLine } from './poller-line.js';
import type { PollerMetrics } from './poller-metrics.js';

/** `ts`: when the device answered (or the request failed), the time a reading is stamped with. */
type Outcome = { ok: true; values: number[] | boolean[]; ts: number } | { ok: false; error: unknown; ts: number };

/** One request sent in a cycle; `superseded`: refused, its properties are served by its pieces. */
interface Attempt {
  request: ReadRequest<string>;
  outcome: Outcome;
  superseded?: boolean;
}

export class DevicePoller {
  private readonly timers: Timer[] = [];
  private readonly busy = new Set<CycleGroup>();
  private state: { state: DeviceState; reason?: string } | undefined;
  private stopped = false;
  cycles = 0;

  constructor(
    readonly plan: DevicePlan,
    readonly line: SharedLine,
    private readonly ctx: Pick<DriverContext, 'readings' | 'state' | 'logger'>,
    private readonly clock: Clock,
    private readonly metrics: PollerMetrics,
  ) {}

  start(): void {
    this.line.queue.setFailureThreshold(this.plan.unit, this.plan.offlineAfterFailures);
    // All devices of a line are polled at the same instant of the cycle, on purpose: spreading them
    // over the cycle (tried: a phase per device, or ~10 slots) cut end-to-end latency but cost far
    // more CPU in the mapper, the edge and the cloud, each reading then travelling alone (one
    // wake-up, socket write and commit per device instead of per burst; bench/RESULTS.md "End to
    // end"). The edge commits a burst as soon as it ends (edge.batchIdleMs).
    for (const group of this.plan.groups) {
      this.timers.push(this.clock.setInterval(() => void this.cycle(group), group.cycleMs));
    }
    // First values as soon as the line is up, not one period later.
    void this.line.ready.then(() => {
      for (const group of this.plan.groups) void this.cycle(group);
    });
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) this.clock.clearInterval(t);
    this.timers.length = 0;
  }

  /** Reads one request through the line queue, as the write path's read-back also does. */
  read(request: Pick<ReadRequest<string>, 'table' | 'offset' | 'count'>): Promise<number[] | boolean[]> {
    const { unit } = this.plan;
    return this.line.queue.submit(unit, () =>
      this.line.transport.read(unit, request.table, request.offset, request.count),
    );
  }

  /** Decodes one property out of a response that starts at `index`. */
  decode(p: PropertyPlan, values: number[] | boolean[], index: number, ts: number): DriverReading {
    const name = p.property.name;
    try {
      return { property: name, value: decodeAt(values, index, p.spec), quality: 'good', ts };
    } catch (err) {
      const code = isKedgeError(err) ? err.code : 'KEDGE_MODBUS_DECODE';
      return { property: name, value: null, quality: 'bad', ts, reason: errorText(err), code };
    }
  }

  private async cycle(group: CycleGroup): Promise<void> {
    if (this.stopped) return;
    if (this.busy.has(group)) {
      this.metrics.skipped.inc();
      return;
    }
    this.busy.add(group);
    try {
      const started = this.clock.now();
      const attempts = (await Promise.all(group.requests.map((r) => this.attempt(group, r)))).flat();
      if (this.stopped) return;
      this.metrics.pollSeconds.observe({ protocol: 'modbus' }, (this.clock.now() - started) / 1000);
      this.cycles += 1;
      this.report(attempts);
    } finally {
      this.busy.delete(group);
    }
  }

  /**
   * Reads one request. Each reading is stamped when its request was answered, not when the cycle
   * began: on a busy line a request may wait in the queue, and the value is as old as the answer.
   */
  private async attempt(group: CycleGroup, request: ReadRequest<string>): Promise<Attempt[]> {
    const outcome = await this.read(request).then(
      (values): Outcome => ({ ok: true, values, ts: this.clock.now() }),
      (error: unknown): Outcome => ({ ok: false, error, ts: this.clock.now() }),
    );
    if (outcome.ok || !isIllegalAddress(outcome.error) || this.stopped) return [{ request, outcome }];
    const pieces = splitRequest(request);
    if (!pieces) return [{ request, outcome }];
    const at = group.requests.indexOf(request);
    if (at >= 0) group.requests.splice(at, 1, ...pieces);
    this.ctx.logger.warn(
      {
        device: this.plan.id,
        table: request.table,
        offset: request.offset,
        count: request.count,
        pieces: pieces.length,
      },
      `device ${this.plan.id}: ${request.table} ${request.offset}..${request.offset + request.count - 1} refused with exception 2 (Illegal Data Address); reading it as ${pieces.length} requests from now on`,
    );
    const rest = await Promise.all(pieces.map((p) => this.attempt(group, p)));
    return [{ request, outcome, superseded: true }, ...rest.flat()];
  }

  private report(attempts: Attempt[]): void {
    const readings: DriverReading[] = [];
    let answered = false;
    let failure: unknown;
    let attempted = false;
    for (const { request, outcome, superseded } of attempts) {
      const ts = outcome.ts;
      if (superseded) {
        answered = true;
        this.metrics.requests.inc({ outcome: 'KEDGE_MODBUS_EXCEPTION' });
        continue;
      }
      if (outcome.ok) {
        answered = true;
        this.metrics.requests.inc({ outcome: 'ok' });
        for (const s of request.serves)
          readings.push(this.decode(this.plan.properties.get(s.key)!, outcome.values, s.index, ts));
        continue;
      }
      const code = isKedgeError(outcome.error) ? outcome.error.code : 'error';
      this.metrics.requests.inc({ outcome: code });
      if (code === 'KEDGE_MODBUS_EXCEPTION') answered = true;
      else if (code !== 'KEDGE_MODBUS_DEVICE_BACKOFF' && code !== 'KEDGE_MODBUS_QUEUE_FULL') failure ??= outcome.error;
      if (code !== 'KEDGE_MODBUS_DEVICE_BACKOFF') attempted = true;
      const reason = errorText(outcome.error);
      for (const s of request.serves) readings.push({ property: s.key, value: null, quality: 'bad', ts, reason, code });
    }
    if (answered || attempted) {
      this.metrics.readings.inc(readings.length);
      this.ctx.readings(this.plan.id, readings);
    }
    if (failure !== undefined && !this.line.queue.health(this.plan.unit).online)
      this.setState('offline', errorText(failure));
    else if (answered) this.setState('online');
  }

  private setState(state: DeviceState, reason?: string): void {
    if (this.state?.state === state && this.state.reason === reason) return;
    this.state = reason === undefined ? { state } : { state, reason };
    this.ctx.state(this.plan.id, state, reason);
  }
}

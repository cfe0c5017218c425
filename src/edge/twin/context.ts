// Mirrors KubeEdge edge/pkg/devicetwin/dtcontext/dtcontext.go: what every handler shares.
import type { Logger } from 'pino';
import type { Counter, Histogram, Registry } from 'prom-client';
import type { EdgeChannels, EdgeRequests, MsgTwin } from '../../contracts/index.js';
import type { Waiters } from '../../core/async/index.js';
import type { Bus } from '../../core/bus/index.js';
import type { Clock, Timer } from '../../core/clock/index.js';
import type { OutboxStore, TwinRecord, TwinStore, WriteBatcher } from '../store/index.js';
import type { DeviceTwin, TwinBook } from './book.js';
import { msgTwin } from './messages.js';
import { liveOptional, optionalMsgTwin } from './optional.js';

/** Device metadata (label or annotation) that lets edge applications set desired values. */
export const LOCAL_DESIRED_ANNOTATION = 'kedge.io/local-desired';
/** Device metadata overriding how long a desired value may stay unconfirmed (ms). */
export const DESIRED_TIMEOUT_ANNOTATION = 'kedge.io/desired-timeout-ms';

export interface TwinModuleDeps {
  bus: Bus<EdgeChannels, EdgeRequests>;
  store: TwinStore;
  outbox: OutboxStore;
  batcher: WriteBatcher;
  clock: Clock;
  logger: Logger;
  node: string;
  /** Time for a mapper to confirm a desired value (config edge.desiredTimeoutMs; per device: an annotation). */
  desiredTimeoutMs: number;
  /** Reports of reported values only go to the cloud at most this often per device (edge.twinReportIntervalMs). */
  reportIntervalMs: number;
  /** How often journaled reported values are folded into the twin rows (edge.twinCheckpointMs; also on stop). */
  checkpointMs: number;
  /** Reported values are journaled at most this often (edge.twinJournalMs; see TwinBook). */
  journalMs?: number;
  /** Where write outcomes and round trips are counted (none: not counted). */
  registry?: Registry;
}

export type WriteOutcome = 'confirmed' | 'failed' | 'timeout';

/** Settled desired values by device and outcome, and their round trips (kedge_device_write*). */
export interface WriteMetrics {
  outcomes: Counter<'device' | 'outcome'>;
  seconds: Histogram<'outcome'>;
}

/**
 * The twins while the module runs, with what the handlers share: the timers of unconfirmed
 * desired values, the API calls waiting for them, and the way out (MQTT through the EventBus).
 */
export class TwinContext {
  /** `<device>\u0000<property>` -> the timer that fails an unconfirmed desired value. */
  readonly timers = new Map<string, Timer>();
  /** The device whose twin/update is feeding the pipeline right now (handlers/update.ts). */
  answering: string | undefined;

  constructor(
    readonly deps: TwinModuleDeps,
    readonly book: TwinBook,
    readonly waiters: Waiters,
    readonly writes: WriteMetrics,
  ) {}

  now(): number {
    return this.deps.clock.now();
  }

  twin(deviceId: string): DeviceTwin | undefined {
    return this.book.twins.get(deviceId);
  }

  /** The property's record, created empty on first use. */
  record(twin: DeviceTwin, name: string): TwinRecord {
    let rec = twin.records.get(name);
    if (!rec) twin.records.set(name, (rec = { cloudVersion: 0, edgeVersion: 0 }));
    return rec;
  }

  /** An MQTT message for devices and apps (a function payload is built only if someone subscribes). */
  publish(topic: string, payload: unknown): void {
    this.deps.bus.publish('mqtt.publish', { topic, payload });
  }

  msgTwins(twin: DeviceTwin): Record<string, MsgTwin> {
    const out: Record<string, MsgTwin> = {};
    for (const [name, prop] of twin.props) out[name] = msgTwin(prop, twin.records.get(name));
    for (const [name, rec] of twin.records)
      if (!twin.props.has(name) && liveOptional(rec)) out[name] = optionalMsgTwin(rec);
    return out;
  }

  memberOf(id: string): { id: string; name: string; state: string } {
    const twin = this.twin(id);
    return { id, name: twin?.device.instance.name ?? id, state: twin?.state.state ?? 'unknown' };
  }

  /** How long a desired value of this device may stay unconfirmed. */
  timeoutOf(twin: DeviceTwin): number {
    const own = Number(twin.device.annotations[DESIRED_TIMEOUT_ANNOTATION]);
    return Number.isFinite(own) && own > 0 ? own : this.deps.desiredTimeoutMs;
  }

  /** Ends timers and waits (the module stops). */
  close(): void {
    for (const t of this.timers.values()) this.deps.clock.clearTimeout(t);
    this.timers.clear();
    this.waiters.releaseAll();
  }
}

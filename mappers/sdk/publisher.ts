import type { Logger } from 'pino';
import type { MapperMqtt } from './mqtt-connect.js';
import type { Counter, Registry } from 'prom-client';
import { counter, gauge } from '../../src/core/metrics/index.js';
import { edgeTopics, type StateUpdate, type WriteResult } from '../../src/contracts/index.js';
import { DataUpdateEncoder } from './data-update-encoder.js';
import { eventIds } from './event-id.js';
import type { DeviceState, DriverReading } from './driver.js';
import { OfflineBuffer, type HeldMessage } from './offline-buffer.js';

/** Drops for the buffer's bound are logged at most this often, with their totals. */
const DROP_LOG_EVERY_MS = 10_000;
/** A full in-flight window (the broker stopped acknowledging) is tried again after this long. */
const RETRY_MS = 100;

/** Where a mapper's device output goes: MQTT (DevicePublisher) or KubeEdge's DMI (dmi/publisher.ts). */
export interface DevicePublishing {
  readings(deviceId: string, readings: readonly DriverReading[]): void;
  state(deviceId: string, state: DeviceState, reason?: string): void;
  writeResult(deviceId: string, result: Omit<WriteResult, 'event_id' | 'timestamp'>): void;
  /** Forgets a removed device. */
  forget(deviceId: string): void;
}

/**
 * What a mapper publishes about devices. Readings polled while the broker (the edge) is away are
 * held in memory (`OfflineBuffer`, bounded by `mapper.bufferBytes`, the oldest dropped and counted
 * beyond it) and sent in order once it is back, before any newer reading. Device states are kept
 * and sent again after every reconnect, because a state change during an outage must not be lost.
 */
export class DevicePublisher implements DevicePublishing {
  private readonly lastState = new Map<string, { state: DeviceState; reason?: string }>();
  private readonly published: Counter<'kind'>;
  private readonly dropped: Counter<'kind'>;
  private readonly encoder = new DataUpdateEncoder();
  private readonly eventId = eventIds();
  private readonly outcomes = new Map<string, (err?: Error) => void>();
  private readonly held: OfflineBuffer;
  private readonly heldDropped: Counter<never>;
  private lastDropLogAt = -Infinity;
  private unloggedDrops = 0;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private deliveredHeld = 0;
  readingsPublished = 0;

  constructor(
    private readonly client: () => MapperMqtt | undefined,
    registry: Registry,
    private readonly logger: Logger,
    bufferBytes: number,
  ) {
    this.held = new OfflineBuffer(bufferBytes);
    const held = this.held;
    this.heldDropped = counter(registry, {
      name: 'kedge_mapper_buffer_dropped_readings_total',
      help: 'Readings dropped because the broker was away longer than mapper.bufferBytes could hold (oldest first)',
    });
    gauge(registry, {
      name: 'kedge_mapper_buffer_readings',
      help: 'Readings held while the broker is away, waiting to be sent',
      collect() {
        this.set(held.readings);
      },
    });
    this.published = counter(registry, {
      name: 'kedge_mapper_messages_published_total',
      help: 'Messages the mapper published, by kind',
      labelNames: ['kind'],
    });
    this.dropped = counter(registry, {
      name: 'kedge_mapper_messages_dropped_total',
      help: 'Messages dropped because the broker was not connected or did not acknowledge in time, by kind',
      labelNames: ['kind'],
    });
  }

  readings(deviceId: string, readings: readonly DriverReading[]): void {
    // The hot path (one message per device per poll): encoded straight from the driver's readings.
    const topic = edgeTopics.dataRaw(deviceId);
    const payload = this.encoder.encode(this.eventId(), Date.now(), readings);
    const client = this.client();
    // Held readings go first: nothing newer overtakes them.
    if (client?.connected && this.held.length === 0 && this.publish(client, topic, payload, 'data')) {
      this.readingsPublished += readings.length;
      return;
    }
    this.hold({ topic, payload, readings: readings.length });
  }

  /** Readings held now (for tests and the spill at stop). */
  get heldReadings(): number {
    return this.held.readings;
  }

  /** Readings dropped beyond the bound since start (the previous run's included, see `restore`). */
  get droppedReadings(): number {
    return this.held.droppedReadings;
  }

  /**
   * Messages of an earlier run (the spill file), older than anything held now, and what that run
   * dropped (counted and logged here, so that its losses are not lost with it).
   */
  restore(messages: HeldMessage[], droppedBefore = 0): void {
    if (messages.length === 0 && droppedBefore === 0) return;
    this.held.droppedReadings += droppedBefore;
    if (droppedBefore > 0) this.heldDropped.inc(droppedBefore);
    this.noteDropped(this.held.prepend(messages));
    this.logger.info(
      {
        code: 'KEDGE_MAPPER_HELD_RESTORED',
        messages: messages.length,
        readings: this.held.readings,
        droppedBefore,
      },
      `the previous run of this mapper held ${this.held.readings} readings (sent once the broker is connected) and dropped ${droppedBefore} beyond mapper.bufferBytes`,
    );
  }

  /** Everything held, oldest first (at stop, for the spill file); the buffer is empty after. */
  takeHeld(): HeldMessage[] {
    return this.held.takeAll();
  }

  /** Sends what was held, in order, while the broker takes it (after every connect). */
  flushHeld(): void {
    clearTimeout(this.retry);
    this.retry = undefined;
    const client = this.client();
    while (client?.connected && this.held.length > 0) {
      const m = this.held.peek()!;
      if (!this.publish(client, m.topic, m.payload, 'data')) {
        // The in-flight window is full: more once PUBACKs have come.
        this.retry = setTimeout(() => this.flushHeld(), RETRY_MS);
        return;
      }
      this.held.shift();
      this.readingsPublished += m.readings;
      this.deliveredHeld += m.readings;
    }
    if (this.held.length === 0 && this.deliveredHeld > 0) {
      this.logger.info(
        { readings: this.deliveredHeld, droppedReadings: this.held.droppedReadings },
        `sent ${this.deliveredHeld} readings held while the broker was away (${this.held.droppedReadings} dropped for mapper.bufferBytes since start)`,
      );
      this.deliveredHeld = 0;
    }
  }

  stop(): void {
    clearTimeout(this.retry);
    this.retry = undefined;
  }

  private hold(m: HeldMessage): void {
    this.noteDropped(this.held.push(m));
  }

  private noteDropped(readings: number): void {
    if (readings === 0) return;
    this.heldDropped.inc(readings);
    this.unloggedDrops += readings;
    const now = Date.now();
    if (now - this.lastDropLogAt < DROP_LOG_EVERY_MS) return;
    this.lastDropLogAt = now;
    this.logger.warn(
      {
        code: 'KEDGE_MAPPER_BUFFER_DROPPED',
        readings: this.unloggedDrops,
        totalReadings: this.held.droppedReadings,
        bufferBytes: this.held.maxBytes,
      },
      `the broker is away longer than mapper.bufferBytes (${this.held.maxBytes}) holds: dropped the oldest ${this.unloggedDrops} readings; ${this.held.droppedReadings} since start`,
    );
    this.unloggedDrops = 0;
  }

  state(deviceId: string, state: DeviceState, reason?: string): void {
    this.lastState.set(deviceId, reason === undefined ? { state } : { state, reason });
    this.sendState(deviceId, state, reason);
  }

  /** Forgets a removed device (its last state is not resent after a reconnect). */
  forget(deviceId: string): void {
    this.lastState.delete(deviceId);
  }

  writeResult(deviceId: string, result: Omit<WriteResult, 'event_id' | 'timestamp'>): void {
    this.send(
      edgeTopics.writeResult(deviceId),
      { event_id: this.eventId(), timestamp: Date.now(), ...result },
      'write-result',
    );
  }

  /** After a (re)connect: every hosted device's current state again. */
  resendStates(): void {
    for (const [id, s] of this.lastState) this.sendState(id, s.state, s.reason);
  }

  private sendState(deviceId: string, state: DeviceState, reason?: string): void {
    const payload: StateUpdate = { event_id: this.eventId(), timestamp: Date.now(), state };
    if (reason !== undefined) payload.reason = reason;
    this.send(edgeTopics.stateUpdate(deviceId), payload, 'state');
  }

  private send(topic: string, payload: object, kind: string): void {
    const client = this.connected(kind);
    if (client) this.publish(client, topic, Buffer.from(JSON.stringify(payload)), kind);
  }

  private connected(kind: string): MapperMqtt | undefined {
    const client = this.client();
    if (client?.connected) return client;
    this.dropped.inc({ kind });
    return undefined;
  }

  // As a Buffer: a QoS 1 message waits in the client for its PUBACK (the edge holds PUBACKs until
  // its group commit), and a waiting string payload gets promoted into V8's old space.
  private publish(client: MapperMqtt, topic: string, payload: Buffer, kind: string): boolean {
    const sent = client.publish(topic, payload, PUBLISH_OPTIONS, kind === 'data' ? noteFailure : this.outcome(kind));
    if (sent) this.published.inc({ kind });
    return sent;
  }

  /** One callback per kind (not a closure per message): a publish the client refused is a drop. */
  private outcome(kind: string): (err?: Error) => void {
    let fn = this.outcomes.get(kind);
    if (!fn) this.outcomes.set(kind, (fn = (err?: Error) => void (err && this.dropped.inc({ kind }))));
    return fn;
  }
}

const PUBLISH_OPTIONS = { qos: 1 } as const;
/** A reading's publish the client refused at once comes back as `false` and is held instead. */
const noteFailure = (): void => undefined;

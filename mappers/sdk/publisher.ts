import type { MapperMqtt } from './mqtt-connect.js';
import type { Counter, Registry } from 'prom-client';
import { counter } from '../../src/core/metrics/index.js';
import { edgeTopics, type StateUpdate, type WriteResult } from '../../src/contracts/index.js';
import { DataUpdateEncoder } from './data-update-encoder.js';
import { eventIds } from './event-id.js';
import type { DeviceState, DriverReading } from './driver.js';

/** Where a mapper's device output goes: MQTT (DevicePublisher) or KubeEdge's DMI (dmi/publisher.ts). */
export interface DevicePublishing {
  readings(deviceId: string, readings: readonly DriverReading[]): void;
  state(deviceId: string, state: DeviceState, reason?: string): void;
  writeResult(deviceId: string, result: Omit<WriteResult, 'event_id' | 'timestamp'>): void;
  /** Forgets a removed device. */
  forget(deviceId: string): void;
}

/**
 * What a mapper publishes about devices. Readings are telemetry for the local broker: while the
 * broker is away they are dropped and counted (the next poll carries fresh values), not queued in
 * memory without bound. Device states are kept and sent again after every reconnect, because a
 * state change during an outage must not be lost.
 */
export class DevicePublisher implements DevicePublishing {
  private readonly lastState = new Map<string, { state: DeviceState; reason?: string }>();
  private readonly published: Counter<'kind'>;
  private readonly dropped: Counter<'kind'>;
  private readonly encoder = new DataUpdateEncoder();
  private readonly eventId = eventIds();
  private readonly outcomes = new Map<string, (err?: Error) => void>();
  readingsPublished = 0;

  constructor(
    private readonly client: () => MapperMqtt | undefined,
    registry: Registry,
  ) {
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
    const client = this.connected('data');
    if (!client) return;
    this.publish(
      client,
      edgeTopics.dataRaw(deviceId),
      this.encoder.encode(this.eventId(), Date.now(), readings),
      'data',
    );
    this.readingsPublished += readings.length;
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
  private publish(client: MapperMqtt, topic: string, payload: Buffer, kind: string): void {
    if (client.publish(topic, payload, PUBLISH_OPTIONS, this.outcome(kind))) this.published.inc({ kind });
  }

  /** One callback per kind (not a closure per message): a publish the client refused is a drop. */
  private outcome(kind: string): (err?: Error) => void {
    let fn = this.outcomes.get(kind);
    if (!fn) this.outcomes.set(kind, (fn = (err?: Error) => void (err && this.dropped.inc({ kind }))));
    return fn;
  }
}

const PUBLISH_OPTIONS = { qos: 1 } as const;

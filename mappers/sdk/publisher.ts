import { randomUUID } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { Counter, type Registry } from 'prom-client';
import { edgeTopics, type DataUpdate, type RawReading, type StateUpdate, type WriteResult } from '../../src/contracts/index.js';
import type { DeviceState, DriverReading } from './driver.js';

/**
 * What a mapper publishes about devices. Readings are telemetry for the local broker: while the
 * broker is away they are dropped and counted (the next poll carries fresh values), not queued in
 * memory without bound. Device states are kept and sent again after every reconnect, because a
 * state change during an outage must not be lost.
 */
export class DevicePublisher {
  private readonly lastState = new Map<string, { state: DeviceState; reason?: string }>();
  private readonly published: Counter<'kind'>;
  private readonly dropped: Counter<'kind'>;
  readingsPublished = 0;

  constructor(
    private readonly client: () => MqttClient | undefined,
    registry: Registry,
  ) {
    this.published = new Counter({ name: 'kedge_mapper_messages_published_total', help: 'Messages the mapper published, by kind', labelNames: ['kind'], registers: [registry] });
    this.dropped = new Counter({ name: 'kedge_mapper_messages_dropped_total', help: 'Messages dropped because the broker was not connected, by kind', labelNames: ['kind'], registers: [registry] });
  }

  readings(deviceId: string, readings: readonly DriverReading[]): void {
    const payload: DataUpdate = { event_id: randomUUID(), timestamp: Date.now(), readings: readings.map(toRaw) };
    if (this.send(edgeTopics.dataUpdate(deviceId), payload, 'data')) this.readingsPublished += readings.length;
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
    this.send(edgeTopics.writeResult(deviceId), { event_id: randomUUID(), timestamp: Date.now(), ...result }, 'write-result');
  }

  /** After a (re)connect: every hosted device's current state again. */
  resendStates(): void {
    for (const [id, s] of this.lastState) this.sendState(id, s.state, s.reason);
  }

  private sendState(deviceId: string, state: DeviceState, reason?: string): void {
    const payload: StateUpdate = { event_id: randomUUID(), timestamp: Date.now(), state };
    if (reason !== undefined) payload.reason = reason;
    this.send(edgeTopics.stateUpdate(deviceId), payload, 'state');
  }

  private send(topic: string, payload: object, kind: string): boolean {
    const client = this.client();
    if (!client?.connected) {
      this.dropped.inc({ kind });
      return false;
    }
    client.publish(topic, JSON.stringify(payload), { qos: 1 }, () => undefined);
    this.published.inc({ kind });
    return true;
  }
}

export function toRaw(r: DriverReading): RawReading {
  const raw: RawReading = { property: r.property, value: r.value, quality: r.quality, ts: r.ts };
  if (r.reason !== undefined) raw.reason = r.reason;
  return raw;
}

import { randomUUID } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type { Counter, Registry } from 'prom-client';
import { counter } from '../../src/core/metrics/index.js';
import { edgeTopics, type RawReading, type StateUpdate, type WriteResult } from '../../src/contracts/index.js';
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
    this.published = counter(registry, { name: 'kedge_mapper_messages_published_total', help: 'Messages the mapper published, by kind', labelNames: ['kind'] });
    this.dropped = counter(registry, { name: 'kedge_mapper_messages_dropped_total', help: 'Messages dropped because the broker was not connected, by kind', labelNames: ['kind'] });
  }

  readings(deviceId: string, readings: readonly DriverReading[]): void {
    // The hot path (one message per device per poll): serialized straight from the driver's
    // readings, byte for byte what JSON.stringify of a DataUpdate of toRaw() copies gives.
    if (this.sendJson(edgeTopics.dataUpdate(deviceId), dataUpdateJson(randomUUID(), Date.now(), readings), 'data')) this.readingsPublished += readings.length;
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
    return this.sendJson(topic, JSON.stringify(payload), kind);
  }

  private sendJson(topic: string, json: string, kind: string): boolean {
    const client = this.client();
    if (!client?.connected) {
      this.dropped.inc({ kind });
      return false;
    }
    // As a Buffer: a QoS 1 message waits in mqtt.js for its PUBACK (the edge holds PUBACKs until
    // its group commit), and a waiting string payload gets promoted into V8's old space.
    client.publish(topic, Buffer.from(json), PUBLISH_OPTIONS, ignore);
    this.published.inc({ kind });
    return true;
  }
}

const PUBLISH_OPTIONS = { qos: 1 } as const;
const ignore = (): void => undefined;

/** A JSON member `,"name":value`, left out when the value is undefined (as JSON.stringify does). */
function member(name: string, value: unknown): string {
  return value === undefined ? '' : `,"${name}":${JSON.stringify(value)}`;
}

/** `JSON.stringify(toRaw(r))` without the copy. */
export function rawReadingJson(r: DriverReading): string {
  if (r.property === undefined) return JSON.stringify(toRaw(r)); // never from a typed driver
  const reason = r.reason === undefined ? '' : member('reason', r.reason);
  return `{"property":${JSON.stringify(r.property)}${member('value', r.value)}${member('quality', r.quality)}${member('ts', r.ts)}${reason}}`;
}

/** `JSON.stringify({ event_id, timestamp, readings: readings.map(toRaw) })` without the copies. */
export function dataUpdateJson(eventId: string, timestamp: number, readings: readonly DriverReading[]): string {
  let json = `{"event_id":${JSON.stringify(eventId)},"timestamp":${JSON.stringify(timestamp)},"readings":[`;
  for (let i = 0; i < readings.length; i++) json += i === 0 ? rawReadingJson(readings[i]!) : `,${rawReadingJson(readings[i]!)}`;
  return `${json}]}`;
}

export function toRaw(r: DriverReading): RawReading {
  const raw: RawReading = { property: r.property, value: r.value, quality: r.quality, ts: r.ts };
  if (r.reason !== undefined) raw.reason = r.reason;
  return raw;
}

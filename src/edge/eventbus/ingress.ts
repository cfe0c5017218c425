import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import {
  DataUpdateSchema,
  MapperStatusSchema,
  RawDataSchema,
  StateUpdateSchema,
  TwinGetSchema,
  TwinUpdateSchema,
  WriteResultSchema,
  edgeTopics,
  normalizeStateUpdate,
  normalizeTwinUpdate,
  parseDeviceTopic,
  type EdgeChannels,
  type EdgeDevice,
  type EdgeRequests,
} from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import type { Clock } from '../../core/clock/index.js';
import type { Static, TSchema } from '@sinclair/typebox';
import { type Checked, checker, jsonChecker } from '../../core/schema/index.js';
import { CauseCounter } from '../shared/index.js';
import { deviceDataReadings } from './device-data.js';

/** A JSON checker that first turns KubeEdge's accepted forms into kedge's shape (contracts/kubeedge-forms.ts). */
function keChecker<S extends TSchema>(
  schema: S,
  normalize: (value: unknown, now: number) => unknown,
): (raw: Buffer, now: number) => Checked<Static<S>> {
  const check = checker(schema);
  return (raw, now) => {
    let value: unknown;
    try {
      value = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      return { ok: false, reason: `malformed JSON: ${(err as Error).message}` };
    }
    return check(normalize(value, now));
  };
}

const check = {
  dataRaw: jsonChecker(RawDataSchema),
  dataUpdate: jsonChecker(DataUpdateSchema),
  twinUpdate: keChecker(TwinUpdateSchema, normalizeTwinUpdate),
  twinGet: jsonChecker(TwinGetSchema),
  stateUpdate: keChecker(StateUpdateSchema, normalizeStateUpdate),
  writeResult: jsonChecker(WriteResultSchema),
  mapperStatus: jsonChecker(MapperStatusSchema),
};

const MAPPER_STATUS_PREFIX = '$ke/mapper-status/';
const MAPPER_METRICS_PREFIX = '$ke/mapper-metrics/';

export interface IngressDeps {
  bus: Bus<EdgeChannels, EdgeRequests>;
  node: string;
  clock: Clock;
  logger: Logger;
  registry?: Registry;
  /** Resolves when the writes caused so far are committed. */
  durable: () => Promise<void>;
}

/**
 * Turns one MQTT message into one typed bus event, checking its payload once. Bad input is
 * counted per topic filter and cause and logged once per cause; request topics get an error
 * result like KubeEdge's. Never throws for bad input.
 */
export class Ingress {
  readonly rejected: CauseCounter;
  private known = new Map<string, EdgeDevice>();

  constructor(private readonly deps: IngressDeps) {
    this.rejected = new CauseCounter(
      deps.logger,
      deps.registry,
      'kedge_eventbus_rejected_total',
      'MQTT messages the EventBus rejected, by topic filter and cause',
    );
  }

  setDevices(devices: Iterable<EdgeDevice>): void {
    this.known = new Map([...devices].map((d) => [d.instance.id, d]));
  }

  handle(topic: string, payload: Buffer): Promise<void> | undefined {
    if (topic.startsWith(MAPPER_STATUS_PREFIX)) return this.mapperStatus(topic, payload);
    if (topic.startsWith(MAPPER_METRICS_PREFIX)) {
      // Text for /metrics: parsed only when scraped (src/edge/metrics/federation.ts).
      const name = topic.slice(MAPPER_METRICS_PREFIX.length);
      this.deps.bus.publish('mapper.metrics', { name, text: payload.toString('utf8'), ts: this.deps.clock.now() });
      return undefined;
    }
    if (topic === edgeTopics.membershipGet(this.deps.node)) return this.membershipGet(topic, payload);
    const parsed = parseDeviceTopic(topic);
    if (!parsed) return this.reject('other', 'unknown-topic', topic, 'topic is not handled');
    const { id } = parsed;
    const { bus } = this.deps;
    switch (topic) {
      case edgeTopics.dataRaw(id): {
        const r = this.checked('dataRaw', topic, check.dataRaw(payload));
        if (!r || !this.knownDevice('dataRaw', topic, id)) return undefined;
        bus.publish('device.readings', { deviceId: id, readings: r.readings, source: 'mapper' });
        return this.deps.durable();
      }
      case edgeTopics.dataUpdate(id): {
        // A third-party (KubeEdge) mapper's DeviceData, or a kedge mapper from before data/raw.
        const r = this.checked('dataUpdate', topic, check.dataUpdate(payload));
        if (!r || !this.knownDevice('dataUpdate', topic, id)) return undefined;
        if (isOwn(r.event_id)) return undefined; // the edge's own republication, echoed by a 3.1.1 broker
        const { readings, unknown } =
          'readings' in r
            ? { readings: r.readings, unknown: [] }
            : deviceDataReadings(this.known.get(id)!.instance, r, this.deps.clock.now());
        for (const name of unknown)
          this.rejected.count(
            'dataUpdate',
            'unknown-property',
            { topic, property: name },
            `data/update for device ${id} names property ${name}, which its DeviceModel does not declare; ignored`,
          );
        if (readings.length === 0) return undefined;
        bus.publish('device.readings', { deviceId: id, readings, source: 'data-update' });
        return this.deps.durable();
      }
      case edgeTopics.twinUpdate(id): {
        const r = this.checked(
          'twinUpdate',
          topic,
          check.twinUpdate(payload, this.deps.clock.now()),
          edgeTopics.twinUpdateResult(id),
          payload,
        );
        if (!r) return undefined;
        this.knownDevice('twinUpdate', topic, id);
        bus.publish('twin.update', { deviceId: id, message: r });
        return this.deps.durable();
      }
      case edgeTopics.twinGet(id): {
        const r = this.checked('twinGet', topic, check.twinGet(payload), edgeTopics.twinGetResult(id), payload);
        if (!r) return undefined;
        this.knownDevice('twinGet', topic, id);
        bus.publish('twin.get', { deviceId: id, eventId: r.event_id ?? '' });
        return undefined;
      }
      case edgeTopics.stateUpdate(id): {
        const r = this.checked(
          'stateUpdate',
          topic,
          check.stateUpdate(payload, this.deps.clock.now()),
          edgeTopics.stateUpdateResult(id),
          payload,
        );
        if (!r || !this.knownDevice('stateUpdate', topic, id)) return undefined;
        bus.publish('device.state', { deviceId: id, message: r });
        return this.deps.durable();
      }
      case edgeTopics.writeResult(id): {
        const r = this.checked('writeResult', topic, check.writeResult(payload));
        if (!r || !this.knownDevice('writeResult', topic, id)) return undefined;
        // The read-back is a reading like any other, and this is its only way in: through the
        // pipeline into `reported` first, then the result, which the twin judges against it.
        if (r.ok && r.readBack)
          bus.publish('device.readings', { deviceId: id, readings: [r.readBack], source: 'mapper' });
        bus.publish('device.writeResult', { deviceId: id, result: r });
        return this.deps.durable();
      }
      default:
        return this.reject('other', 'unknown-topic', topic, 'topic is not handled');
    }
  }

  private mapperStatus(topic: string, payload: Buffer): undefined {
    // An empty retained message clears the status: nothing to check.
    if (payload.length === 0) return undefined;
    const r = this.checked('mapperStatus', topic, check.mapperStatus(payload));
    if (r) this.deps.bus.publish('mapper.status', r);
    return undefined;
  }

  private membershipGet(topic: string, payload: Buffer): undefined {
    const r = this.checked(
      'membershipGet',
      topic,
      check.twinGet(payload),
      edgeTopics.membershipGetResult(this.deps.node),
      payload,
    );
    if (r) this.deps.bus.publish('membership.get', { eventId: r.event_id ?? '' });
    return undefined;
  }

  private checked<T>(
    where: string,
    topic: string,
    result: Checked<T>,
    resultTopic?: string,
    raw?: Buffer,
  ): T | undefined {
    if (result.ok) return result.value;
    const cause = result.reason.startsWith('malformed JSON') ? 'malformed-json' : 'schema';
    this.rejected.count(
      where,
      cause,
      { topic, reason: result.reason },
      `rejected message on ${topic}: ${result.reason}`,
    );
    if (resultTopic) {
      this.deps.bus.publish('mqtt.publish', {
        topic: resultTopic,
        payload: {
          event_id: eventIdOf(raw),
          timestamp: this.deps.clock.now(),
          code: 400,
          reason: `${topic}: ${result.reason}`,
        },
      });
    }
    return undefined;
  }

  private knownDevice(where: string, topic: string, id: string): boolean {
    if (this.known.has(id)) return true;
    this.rejected.count(
      where,
      'unknown-device',
      { topic, deviceId: id },
      `message on ${topic} for device ${id}, which is not on this node`,
    );
    return false;
  }

  private reject(where: string, cause: string, topic: string, text: string): undefined {
    this.rejected.count(where, cause, { topic }, `${text}: ${topic}`);
    return undefined;
  }
}

/** Event ids of the DeviceData the edge itself republishes on data/update (see deviceData()). */
export const OWN_EVENT_PREFIX = 'kedge-edge:';

function isOwn(eventId: string | undefined): boolean {
  return eventId?.startsWith(OWN_EVENT_PREFIX) === true;
}

/** The request's event_id when the payload is JSON with one, so the error result can be matched. */
function eventIdOf(raw: Buffer | undefined): string {
  if (!raw) return '';
  try {
    const v = JSON.parse(raw.toString('utf8')) as { event_id?: unknown };
    return typeof v?.event_id === 'string' ? v.event_id : '';
  } catch {
    return '';
  }
}

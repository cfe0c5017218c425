import type { Logger } from 'pino';
import type { Counter, Registry } from 'prom-client';
import { counter } from '../../src/core/metrics/index.js';
import { edgeFilters, parseDeviceTopic, TwinDeltaSchema } from '../../src/contracts/index.js';
import { errorText } from '../../src/core/errors/index.js';
import { jsonChecker } from '../../src/core/schema/index.js';
import { parsePropertyValue, type DeviceInstance, type PropertyValue } from '../../src/model/index.js';
import type { BadPayloads } from './bad-payloads.js';
import type { DriverReading, ProtocolDriver } from './driver.js';
import { toRaw } from './data-update-encoder.js';
import type { DevicePublishing } from './publisher.js';
import { WriteQueue } from './write-queue.js';

export type DeviceLookup = (id: string) => { device: DeviceInstance; driver: ProtocolDriver } | undefined;

const checkDelta = jsonChecker(TwinDeltaSchema);

interface Desired {
  property: string;
  desired: string;
}

/**
 * Desired values (KubeEdge's twin delta) -> driver writes -> read-back. Every property in a delta
 * gets a write result: ok with the read-back (the edge's EventBus feeds it to the pipeline as a
 * reading, once), or not ok with the reason. Deltas for devices hosted by other
 * mappers are none of our business and are ignored silently.
 */
export class DesiredWriter {
  private readonly queue = new WriteQueue();
  private readonly outcomes: Counter<'outcome'>;

  constructor(
    private readonly lookup: DeviceLookup,
    private readonly publisher: DevicePublishing,
    private readonly bad: BadPayloads,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    this.outcomes = counter(registry, {
      name: 'kedge_mapper_writes_total',
      help: 'Desired-value writes, by outcome',
      labelNames: ['outcome'],
    });
  }

  onDelta(topic: string, payload: Buffer): void {
    const where = parseDeviceTopic(topic);
    if (where?.rest !== 'twin/update/delta') {
      this.bad.record(edgeFilters.twinDelta, 'bad-topic', topic, `topic ${topic} is not a twin delta topic`);
      return;
    }
    const hosted = this.lookup(where.id);
    if (!hosted) return;
    const checked = checkDelta(payload);
    if (!checked.ok) {
      this.bad.record(edgeFilters.twinDelta, 'bad-payload', topic, `twin delta for ${where.id}: ${checked.reason}`);
      return;
    }
    const accepted: Desired[] = [];
    for (const [property, desired] of Object.entries(checked.value.delta)) {
      const refusal = this.refusal(where.id, property, desired);
      if (refusal) this.fail(where.id, property, desired, refusal, 'refused');
      else accepted.push({ property, desired });
    }
    // A driver that can combine writes gets the delta's values together (Modbus: one FC15 for adjacent coils).
    if (hosted.driver.writeMany && accepted.length > 1)
      this.queue.submitAll(where.id, accepted, (fresh) => this.writeAll(where.id, fresh));
    else
      for (const { property, desired } of accepted)
        this.queue.submit(where.id, property, desired, () => this.write(where.id, property, desired));
  }

  drain(): Promise<void> {
    return this.queue.drain();
  }

  /** Why the value cannot be written at all (checked before queueing), or undefined. */
  private refusal(deviceId: string, property: string, desired: string): string | undefined {
    const declared = this.lookup(deviceId)?.device.properties.find((p) => p.name === property);
    if (!declared) return `device ${deviceId} has no property ${property}`;
    if (declared.accessMode === 'ReadOnly') return `device ${deviceId} property ${property} is ReadOnly`;
    try {
      parsePropertyValue(declared.type, desired);
    } catch (err) {
      return `device ${deviceId} property ${property}: ${errorText(err)}`;
    }
    return undefined;
  }

  private async write(deviceId: string, property: string, desired: string): Promise<void> {
    const hosted = this.lookup(deviceId);
    const declared = hosted?.device.properties.find((p) => p.name === property);
    if (!hosted || !declared) {
      this.fail(deviceId, property, desired, `device ${deviceId} is no longer hosted here`, 'refused');
      return;
    }
    try {
      this.succeed(
        deviceId,
        property,
        desired,
        await hosted.driver.write(deviceId, property, parsePropertyValue(declared.type, desired)),
      );
    } catch (err) {
      this.failedWrite(deviceId, property, desired, err);
    }
  }

  /** The values of one delta in one driver call; every property still gets its own result. */
  private async writeAll(deviceId: string, values: Desired[]): Promise<void> {
    const hosted = this.lookup(deviceId);
    const writeMany = hosted?.driver.writeMany?.bind(hosted.driver);
    if (!writeMany) {
      for (const { property, desired } of values) await this.write(deviceId, property, desired);
      return;
    }
    const writes: Array<Desired & { value: PropertyValue }> = [];
    for (const { property, desired } of values) {
      const declared = hosted?.device.properties.find((p) => p.name === property);
      if (!declared) this.fail(deviceId, property, desired, `device ${deviceId} is no longer hosted here`, 'refused');
      else {
        try {
          writes.push({ property, desired, value: parsePropertyValue(declared.type, desired) });
        } catch (err) {
          this.failedWrite(deviceId, property, desired, err);
        }
      }
    }
    if (writes.length === 0) return;
    try {
      const results = await writeMany(
        deviceId,
        writes.map(({ property, value }) => ({ property, value })),
      );
      writes.forEach(({ property, desired }, i) => {
        const result = results[i];
        if (result?.status === 'fulfilled') this.succeed(deviceId, property, desired, result.value);
        else
          this.failedWrite(
            deviceId,
            property,
            desired,
            result ? result.reason : new Error('the driver returned no result'),
          );
      });
    } catch (err) {
      for (const { property, desired } of writes) this.failedWrite(deviceId, property, desired, err);
    }
  }

  private succeed(deviceId: string, property: string, desired: string, readBack: DriverReading): void {
    this.outcomes.inc({ outcome: 'ok' });
    // The read-back travels once, in the write result; the edge puts it through the pipeline.
    this.publisher.writeResult(deviceId, { property, desired, ok: true, readBack: toRaw(readBack) });
  }

  private failedWrite(deviceId: string, property: string, desired: string, err: unknown): void {
    this.fail(
      deviceId,
      property,
      desired,
      `writing ${desired} to ${deviceId} property ${property} failed: ${errorText(err)}`,
      'failed',
    );
  }

  private fail(deviceId: string, property: string, desired: string, reason: string, outcome: string): void {
    this.outcomes.inc({ outcome });
    this.logger.warn({ device: deviceId, property }, reason);
    this.publisher.writeResult(deviceId, { property, desired, ok: false, reason });
  }
}

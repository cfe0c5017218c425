import type * as Grpc from '@grpc/grpc-js';
import type { Counter, Registry } from 'prom-client';
import { REASON_METADATA, type PbTwin } from '../../../src/contracts/dmi/index.js';
import type { WriteResult } from '../../../src/contracts/index.js';
import { counter } from '../../../src/core/metrics/index.js';
import type { DeviceState, DriverReading } from '../driver.js';
import type { DevicePublishing } from '../publisher.js';

/**
 * A mapper's output over KubeEdge's DMI instead of MQTT: readings as ReportDeviceStatus twins
 * (`reported` the value read, `observedDesired` the desired value this mapper has applied, as
 * mapper-framework reports them), states as ReportDeviceStates. kedge's extras travel where the
 * wire format has room: the reading's time, quality and reason in `reported.metadata`, a refused
 * write in `observedDesired.metadata` (`failed`, `failedValue`), a state's reason in the call's
 * gRPC metadata. A report the edge does not take is counted as dropped (the next poll carries
 * fresh values); states are kept and sent again by resendStates().
 */
export class DmiPublisher implements DevicePublishing {
  private readonly applied = new Map<string, Map<string, string>>();
  private readonly lastState = new Map<string, { state: DeviceState; reason?: string }>();
  /** The last twin reported per device and property (GetDevice answers with them). */
  private readonly last = new Map<string, Map<string, PbTwin>>();
  private readonly published: Counter<'kind'>;
  private readonly dropped: Counter<'kind'>;
  readingsPublished = 0;

  constructor(
    private readonly grpc: typeof Grpc,
    private readonly client: Grpc.Client,
    private readonly types: (deviceId: string, property: string) => string | undefined,
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

  /** The desired values the edge sent that this mapper holds as applied (its observed desired). */
  observe(deviceId: string, property: string, value: string): void {
    let map = this.applied.get(deviceId);
    if (!map) this.applied.set(deviceId, (map = new Map()));
    map.set(property, value);
  }

  readings(deviceId: string, readings: readonly DriverReading[]): void {
    this.report(
      deviceId,
      readings.map((r) => this.twin(deviceId, r)),
      'data',
    );
    this.readingsPublished += readings.length;
  }

  writeResult(deviceId: string, result: Omit<WriteResult, 'event_id' | 'timestamp'>): void {
    if (result.ok) {
      this.observe(deviceId, result.property, result.desired);
      const twin = result.readBack
        ? this.twin(deviceId, { ...result.readBack, quality: result.readBack.quality })
        : { propertyName: result.property, observedDesired: { value: result.desired, metadata: {} }, reported: null };
      this.report(deviceId, [twin], 'write-result');
      return;
    }
    const applied = this.applied.get(deviceId)?.get(result.property) ?? '';
    const failed = { failed: result.reason ?? 'the write failed', failedValue: result.desired };
    this.report(
      deviceId,
      [{ propertyName: result.property, observedDesired: { value: applied, metadata: failed }, reported: null }],
      'write-result',
    );
  }

  state(deviceId: string, state: DeviceState, reason?: string): void {
    this.lastState.set(deviceId, reason === undefined ? { state } : { state, reason });
    this.sendState(deviceId, state, reason);
  }

  forget(deviceId: string): void {
    this.lastState.delete(deviceId);
    this.applied.delete(deviceId);
    this.last.delete(deviceId);
  }

  /** The device's twins as last reported. */
  twins(deviceId: string): PbTwin[] {
    return [...(this.last.get(deviceId)?.values() ?? [])];
  }

  resendStates(): void {
    for (const [id, s] of this.lastState) this.sendState(id, s.state, s.reason);
  }

  private twin(deviceId: string, r: DriverReading): PbTwin {
    const metadata: Record<string, string> = { timestamp: String(r.ts), quality: r.quality };
    const type = this.types(deviceId, r.property);
    if (type) metadata['type'] = type;
    if (r.reason !== undefined) metadata['reason'] = r.reason;
    return {
      propertyName: r.property,
      reported: { value: r.value === null ? '' : String(r.value), metadata },
      observedDesired: { value: this.applied.get(deviceId)?.get(r.property) ?? '', metadata: {} },
    };
  }

  private report(deviceId: string, twins: PbTwin[], kind: string): void {
    let last = this.last.get(deviceId);
    if (!last) this.last.set(deviceId, (last = new Map()));
    for (const t of twins) if (t.reported) last.set(t.propertyName, t);
    const [deviceNamespace, deviceName] = split(deviceId);
    const request = { deviceName, deviceNamespace, reportedDevice: { twins, reportToCloud: false, reportCycle: 0 } };
    this.call('ReportDeviceStatus', request, undefined, kind);
  }

  private sendState(deviceId: string, state: DeviceState, reason: string | undefined): void {
    const [deviceNamespace, deviceName] = split(deviceId);
    this.call('ReportDeviceStates', { deviceName, deviceNamespace, state }, reason, 'state');
  }

  private call(method: string, request: unknown, reason: string | undefined, kind: string): void {
    const fn = (this.client as unknown as Record<string, Function>)[method]!.bind(this.client);
    const metadata = new this.grpc.Metadata();
    if (reason !== undefined) metadata.set(REASON_METADATA, reason);
    this.published.inc({ kind });
    fn(request, metadata, { deadline: Date.now() + CALL_TIMEOUT_MS }, (err: Error | null) => {
      if (err) this.dropped.inc({ kind });
    });
  }
}

const CALL_TIMEOUT_MS = 10_000;

function split(id: string): [string, string] {
  const i = id.indexOf('/');
  return [id.slice(0, i), id.slice(i + 1)];
}

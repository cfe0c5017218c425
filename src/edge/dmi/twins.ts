import type { PbTwin } from '../../contracts/dmi/index.js';
import type { RawReading, WriteResult } from '../../contracts/index.js';
import type { DeviceInstance, RawQuality } from '../../model/index.js';
import { deviceDataReadings } from '../eventbus/index.js';

/** A write a kedge DMI mapper reports as failed (observedDesired.metadata.failed). */
export type FailedWrite = Pick<WriteResult, 'property' | 'desired' | 'reason'>;

/**
 * The twins of a ReportDeviceStatus as what the edge takes from a mapper: each `reported` value
 * a raw reading, parsed by the property's type as a KubeEdge DeviceData value is (a value that
 * does not parse is a bad reading saying why), its time from metadata.timestamp; kedge mappers add
 * `quality` and `reason` there. `observedDesired` is the desired value the mapper holds: never a
 * new desired value (KubeEdge's dmiserver copies it into `expected`, which kedge's twin does not
 * take from mappers); a value confirms a pending desired one through its reading, as over MQTT.
 * Properties the model lacks are listed, not read.
 */
export function twinReadings(
  device: DeviceInstance,
  twins: readonly PbTwin[],
  now: number,
): { readings: RawReading[]; unknown: string[]; failed: FailedWrite[] } {
  const data: Record<string, { value: string; metadata: { timestamp?: string } }> = {};
  const extra = new Map<string, { quality: RawQuality; reason?: string }>();
  const failed: FailedWrite[] = [];
  for (const twin of twins) {
    const meta = twin.observedDesired?.metadata ?? {};
    if (meta['failed'] !== undefined)
      failed.push({ property: twin.propertyName, desired: meta['failedValue'] ?? '', reason: meta['failed'] });
    const reported = twin.reported;
    if (!reported) continue;
    const quality = qualityOf(reported.metadata['quality']);
    // An empty value is "nothing read" for a mapper-framework mapper, a failed read for kedge's.
    if (reported.value === '' && (quality === undefined || quality === 'good')) continue;
    const ts = reported.metadata['timestamp'];
    data[twin.propertyName] = { value: reported.value, metadata: ts !== undefined ? { timestamp: ts } : {} };
    const reason = reported.metadata['reason'];
    if (quality && quality !== 'good')
      extra.set(twin.propertyName, reason !== undefined ? { quality, reason } : { quality });
  }
  const { readings, unknown } = deviceDataReadings(device, { data }, now);
  for (const r of readings) {
    const x = extra.get(r.property);
    if (!x) continue;
    // The mapper's own verdict wins over the parse: a failed read has no value to parse.
    if (x.quality === 'bad') r.value = null;
    if (x.quality === 'bad' || r.quality !== 'bad') {
      r.quality = x.quality;
      if (x.reason !== undefined) r.reason = x.reason;
    }
  }
  return { readings, unknown, failed };
}

function qualityOf(text: string | undefined): RawQuality | undefined {
  return text === 'good' || text === 'bad' || text === 'uncertain' ? text : undefined;
}

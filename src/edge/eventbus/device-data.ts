import type { DeviceData, RawReading } from '../../contracts/index.js';
import { errorText } from '../../core/errors/index.js';
import { parsePropertyValue, type DeviceInstance } from '../../model/index.js';

/**
 * KubeEdge's DeviceData (values as strings) as raw readings: each value parsed into its
 * property's type; one that does not parse is a bad reading that says why, so the pipeline's
 * hold-last and quality apply as for any failed read. Properties the model lacks are listed.
 */
export function deviceDataReadings(
  device: DeviceInstance,
  message: DeviceData,
  now: number,
): { readings: RawReading[]; unknown: string[] } {
  const readings: RawReading[] = [];
  const unknown: string[] = [];
  for (const [name, entry] of Object.entries(message.data)) {
    const prop = device.properties.find((p) => p.name === name);
    if (!prop) {
      unknown.push(name);
      continue;
    }
    const ts = timeOf(entry.metadata?.timestamp) ?? message.timestamp ?? now;
    try {
      readings.push({ property: name, value: parsePropertyValue(prop.type, entry.value), quality: 'good', ts });
    } catch (err) {
      readings.push({ property: name, value: null, quality: 'bad', ts, reason: errorText(err) });
    }
  }
  return { readings, unknown };
}

/** mappers-go sends ms as a number, mapper-framework's metadata may carry it as a string. */
function timeOf(value: number | string | undefined): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return n !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
}

/**
 * Raw readings as KubeEdge's DeviceData: values as strings (as a KubeEdge mapper's ConvertToString
 * writes them), metadata with the read time and the lower-case type; kedge adds `quality` (and
 * `reason`) when the value is not good. A failed read has no value to publish and is left out
 * (a KubeEdge mapper publishes nothing for it); undefined when nothing is left.
 */
export function deviceData(
  typeOf: (property: string) => string | undefined,
  readings: readonly RawReading[],
  eventId: string,
  now: number,
): DeviceData | undefined {
  const data: DeviceData['data'] = {};
  let any = false;
  for (const r of readings) {
    if (r.value === null) continue;
    const metadata: NonNullable<DeviceData['data'][string]['metadata']> = {
      timestamp: r.ts,
      type: typeOf(r.property) ?? 'string',
    };
    if (r.quality !== 'good') metadata.quality = r.quality;
    if (r.reason !== undefined) metadata.reason = r.reason;
    data[r.property] = { value: String(r.value), metadata };
    any = true;
  }
  return any ? { event_id: eventId, timestamp: now, data } : undefined;
}

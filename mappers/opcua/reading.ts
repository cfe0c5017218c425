import type { DataValue } from 'node-opcua';
import type { PropertyInstance } from '../../src/model/index.js';
import type { DriverReading } from '../sdk/contract.js';
import { qualityOf } from './quality.js';
import { mapVariant } from './variant-map.js';

const RANK = { good: 0, uncertain: 1, bad: 2 } as const;

/**
 * A data value (from a subscription or a read) -> the driver's reading. The status code decides
 * first (a Bad status has no usable value); then the variant is mapped to the property type, which
 * can itself lower the quality (an array, a rounded fraction). `ts` is the server's source
 * timestamp, else its server timestamp, else `now`.
 */
export function readingOf(property: PropertyInstance, dv: DataValue, now: number): DriverReading {
  const ts = dv.sourceTimestamp?.getTime() ?? dv.serverTimestamp?.getTime() ?? now;
  const status = qualityOf(dv.statusCode);
  if (status.quality === 'bad')
    return { property: property.name, value: null, quality: 'bad', ts, reason: status.reason!, code: status.reason! };
  const mapped = mapVariant(dv.value, property.type);
  const quality = RANK[mapped.quality] >= RANK[status.quality] ? mapped.quality : status.quality;
  const reason = mapped.reason ?? status.reason;
  const reading: DriverReading = { property: property.name, value: mapped.value, quality, ts };
  if (reason !== undefined && quality !== 'good') reading.reason = reason;
  return reading;
}

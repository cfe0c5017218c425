import { forEachColumnReading, type ColumnValue, type DeviceColumns } from '../../contracts/index.js';

/**
 * The consumer payload of `kedge/telemetry/<ns>/<device>`, `{namespace, device, node, readings:
 * [{property, value, unit?, quality, ts, reason?}]}`, written as JSON text straight from checked columns:
 * each property's `{"property":…,"value":` is escaped once per device, not once per reading, and
 * no reading object is built only to be stringified (the cloud's largest per-reading cost).
 * telemetry-payload.test.ts checks it against JSON.stringify of the same readings.
 */
export function telemetryPayload(namespace: string, device: string, node: string, c: DeviceColumns): string {
  const heads = c.properties.map((p) => `{"property":${JSON.stringify(p)},"value":`);
  const units = c.properties.map((_, i) => (c.units?.[i] ? `,"unit":${JSON.stringify(c.units[i])}` : ''));
  const parts: string[] = [];
  forEachColumnReading(c, (_p, _u, value, quality, ts, pi, reason) => {
    const why = reason ? `,"reason":${JSON.stringify(reason)}` : '';
    parts.push(`${heads[pi]}${valueJson(value)}${units[pi]},"quality":"${quality}","ts":${numberJson(ts)}${why}}`);
  });
  return `{"namespace":${JSON.stringify(namespace)},"device":${JSON.stringify(device)},"node":${JSON.stringify(node)},"readings":[${parts.join(',')}]}`;
}

function valueJson(v: ColumnValue): string {
  if (typeof v === 'number') return numberJson(v);
  if (typeof v === 'string') return JSON.stringify(v);
  return v === null ? 'null' : v ? 'true' : 'false';
}

/** As JSON.stringify writes a number: a parsed `1e999` is Infinity, which JSON spells null. */
function numberJson(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

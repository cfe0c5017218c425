/**
 * What KubeEdge's DeviceTwin accepts on its MQTT topics and kedge's checked shapes would refuse,
 * turned into those shapes before the check (the schemas stay one strict shape for the code):
 * - no `event_id`/`timestamp`: KubeEdge's own integration test sends `{"state":"online"}`
 *   (edge/test/integration/device/device_test.go); the edge's clock stands in for the time;
 * - `"metadata":{}` in `actual`/`expected` (mappers-go mappers/common/event.go and mapper-framework
 *   pkg/common/event.go always send it; mapper-framework's `timestamp` may be a string);
 * - a twin's own `"metadata":{}` without a type;
 * - states in any case, and `ok` (mapper-framework) as online: dtmanager/device.go lower-cases
 *   the state and accepts ok.
 * Anything that is not an object is left alone for the schema check to word the error.
 */

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function withBase(value: Json, now: number): Json {
  const out = { ...value };
  if (out['event_id'] === undefined || out['event_id'] === null) out['event_id'] = '';
  if (out['timestamp'] === undefined || out['timestamp'] === null) out['timestamp'] = now;
  return out;
}

/** A twin value's metadata: the time as a number (ms) when it is one, kedge's quality kept, the rest dropped. */
function twinValue(value: unknown): unknown {
  if (!isObject(value) || !isObject(value['metadata'])) return value;
  const meta = value['metadata'];
  const out: Json = { ...value };
  const ts = typeof meta['timestamp'] === 'string' ? Number(meta['timestamp']) : meta['timestamp'];
  const metadata: Json = {};
  if (typeof ts === 'number' && Number.isFinite(ts) && ts > 0) metadata['timestamp'] = ts;
  if (typeof meta['quality'] === 'string') metadata['quality'] = meta['quality'];
  if (metadata['timestamp'] === undefined) delete out['metadata'];
  else out['metadata'] = metadata;
  return out;
}

export function normalizeTwinUpdate(value: unknown, now: number): unknown {
  if (!isObject(value)) return value;
  const out = withBase(value, now);
  if (!isObject(out['twin'])) return out;
  const twin: Json = {};
  for (const [name, entry] of Object.entries(out['twin'])) {
    if (!isObject(entry)) {
      twin[name] = entry;
      continue;
    }
    const e: Json = { ...entry };
    if ('expected' in e) e['expected'] = twinValue(e['expected']);
    if ('actual' in e) e['actual'] = twinValue(e['actual']);
    if (isObject(e['metadata']) && typeof e['metadata']['type'] !== 'string') delete e['metadata'];
    twin[name] = e;
  }
  out['twin'] = twin;
  return out;
}

export function normalizeStateUpdate(value: unknown, now: number): unknown {
  if (!isObject(value)) return value;
  const out = withBase(value, now);
  if (typeof out['state'] === 'string') {
    const state = out['state'].toLowerCase();
    out['state'] = state === 'ok' ? 'online' : state;
  }
  return out;
}

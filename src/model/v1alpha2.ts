import { normalizeCycle } from './cycles.js';
import { modelErrors } from './errors.js';
import { API_GROUP, API_VERSION } from './schema.js';
import { isPlainObject } from './schema-check.js';

/**
 * KubeEdge's pre-v1.15 `devices.kubeedge.io/v1alpha2` Device and DeviceModel, turned into
 * v1beta1 (`kedge convert`). The field mapping follows the two versions' Go types
 * (pkg/apis/devices/v1alpha2 of KubeEdge v1.14 -> staging/.../apis/devices/v1beta1):
 * - DeviceModel: `properties[].type.<int|float|...>.{accessMode, minimum, maximum, unit}` become
 *   `type`, `accessMode`, `minimum`/`maximum` (strings) and `unit`; `defaultValue` has no v1beta1
 *   field (a note says so).
 * - Device: `protocol.{modbus|opcua|bluetooth|common|customizedProtocol}` become
 *   `protocol.protocolName` + `configData`; `propertyVisitors[]` become `properties[]` with
 *   `visitors` (cycles in nanoseconds become milliseconds); `status.twins[].desired` becomes the
 *   property's `desired`; the node in `nodeSelector` becomes `nodeName`; `data` has no v1beta1
 *   counterpart (a note says so).
 */
export const V1ALPHA2 = `${API_GROUP}/v1alpha2`;

export interface Converted {
  value: Record<string, unknown>;
  /** What could not be carried over, or was guessed, in words for the user. */
  notes: string[];
}

type Obj = Record<string, unknown>;

const TYPES: Record<string, string> = {
  int: 'INT',
  float: 'FLOAT',
  double: 'DOUBLE',
  string: 'STRING',
  boolean: 'BOOLEAN',
  bytes: 'BYTES',
};

/** Converts one v1alpha2 Device or DeviceModel; undefined for anything else. */
export function convertV1alpha2(doc: unknown): Converted | undefined {
  if (!isPlainObject(doc) || doc['apiVersion'] !== V1ALPHA2) return undefined;
  const notes: string[] = [];
  const spec = obj(doc['spec']);
  if (doc['kind'] === 'DeviceModel') {
    return {
      value: { apiVersion: API_VERSION, kind: 'DeviceModel', metadata: doc['metadata'], spec: model(spec, notes) },
      notes,
    };
  }
  if (doc['kind'] === 'Device') {
    return {
      value: {
        apiVersion: API_VERSION,
        kind: 'Device',
        metadata: doc['metadata'],
        spec: device(spec, obj(doc['status']), notes),
      },
      notes,
    };
  }
  return undefined;
}

function model(spec: Obj, notes: string[]): Obj {
  const out: Obj = {};
  if (typeof spec['protocol'] === 'string' && spec['protocol'] !== '') out['protocol'] = spec['protocol'];
  out['properties'] = list(spec['properties']).map((p) => {
    const property: Obj = { name: p['name'] };
    if (p['description'] !== undefined) property['description'] = p['description'];
    const [kind, detail] = Object.entries(obj(p['type'])).find(([k]) => k in TYPES) ?? ['string', {}];
    const d = obj(detail);
    if (!(kind in obj(p['type'])))
      notes.push(`DeviceModel property ${String(p['name'])} has no type; written as STRING`);
    property['type'] = TYPES[kind];
    property['accessMode'] = d['accessMode'] ?? 'ReadOnly';
    for (const bound of ['minimum', 'maximum'] as const)
      if (typeof d[bound] === 'number' && d[bound] !== 0) property[bound] = String(d[bound]);
    if (d['unit'] !== undefined) property['unit'] = d['unit'];
    if (d['defaultValue'] !== undefined)
      notes.push(
        `DeviceModel property ${String(p['name'])}: defaultValue ${JSON.stringify(d['defaultValue'])} has no v1beta1 field; set it as a Device's desired value`,
      );
    return property;
  });
  return out;
}

function device(spec: Obj, status: Obj, notes: string[]): Obj {
  const out: Obj = {};
  if (spec['deviceModelRef'] !== undefined) out['deviceModelRef'] = spec['deviceModelRef'];
  const node = nodeOf(obj(spec['nodeSelector']));
  if (node) out['nodeName'] = node;
  else if (spec['nodeSelector'] !== undefined)
    notes.push('Device nodeSelector names no node in its first term; set spec.nodeName');
  const protocol = protocolOf(obj(spec['protocol']), notes);
  if (protocol) out['protocol'] = protocol;
  const properties = list(spec['propertyVisitors']).map((v) => visitor(v, protocol?.['protocolName'] as string));
  for (const twin of list(status['twins'])) {
    const desired = obj(twin['desired']);
    if (desired['value'] === undefined) continue;
    let property = properties.find((p) => p['name'] === twin['propertyName']);
    if (!property) properties.push((property = { name: twin['propertyName'] }));
    property['desired'] = { value: String(desired['value']) };
  }
  if (properties.length > 0) out['properties'] = properties;
  if (spec['data'] !== undefined)
    notes.push('Device spec.data (dataProperties, dataTopic) has no v1beta1 field; left out');
  return out;
}

function nodeOf(selector: Obj): string | undefined {
  const term = list(selector['nodeSelectorTerms'])[0];
  const values = list(term?.['matchExpressions'] ?? [])
    .flatMap((e) => (Array.isArray(e['values']) ? e['values'] : []))
    .filter((v): v is string => typeof v === 'string' && v !== '');
  return values[0];
}

function protocolOf(p: Obj, notes: string[]): Obj | undefined {
  const common = obj(p['common']);
  const shared: Obj = { ...obj(common['customizedValues']) };
  const tcp = obj(common['tcp']);
  const com = obj(common['com']);
  if (Object.keys(tcp).length > 0) Object.assign(shared, { communicateMode: 'TCP', ...tcp });
  if (Object.keys(com).length > 0) Object.assign(shared, { communicateMode: 'RTU', ...com });
  if (p['customizedProtocol']) {
    const c = obj(p['customizedProtocol']);
    return { protocolName: c['protocolName'], configData: { ...shared, ...obj(c['configData']) } };
  }
  for (const name of ['modbus', 'opcua', 'bluetooth']) {
    if (p[name] !== undefined) return { protocolName: name, configData: { ...shared, ...obj(p[name]) } };
  }
  if (Object.keys(shared).length > 0) {
    notes.push('Device protocol.common without a protocol; written as modbus');
    return { protocolName: 'modbus', configData: shared };
  }
  return undefined;
}

function visitor(v: Obj, protocolName: string | undefined): Obj {
  const property: Obj = { name: v['propertyName'] };
  for (const field of ['collectCycle', 'reportCycle'] as const) {
    if (typeof v[field] === 'number' && v[field] > 0) property[field] = normalizeCycle(v[field] as number).ms;
  }
  const custom = obj(v['customizedProtocol']);
  const configData: Obj = {
    ...obj(v['modbus']),
    ...obj(v['opcua']),
    ...obj(v['bluetooth']),
    ...obj(custom['configData']),
    ...obj(v['customizedValues']),
  };
  const name = (custom['protocolName'] as string | undefined) ?? protocolName;
  property['visitors'] = { ...(name ? { protocolName: name } : {}), configData };
  return property;
}

function obj(value: unknown): Obj {
  return isPlainObject(value) ? value : {};
}

function list(value: unknown): Obj[] {
  return Array.isArray(value) ? value.filter(isPlainObject) : [];
}

export interface ConvertedFile {
  /** The file's documents as YAML, v1alpha2 Devices and DeviceModels converted, the rest unchanged. */
  yaml: string;
  /** `<file>: document <n> (<kind> <name>): <note>` */
  notes: string[];
  converted: number;
}

/** `kedge convert`: every document of one YAML text; throws KEDGE_MODEL_YAML for text that is not YAML. */
export async function convertYaml(file: string, text: string): Promise<ConvertedFile> {
  const { parseAllDocuments, stringify } = await import('yaml');
  const docs = parseAllDocuments(text);
  const out: string[] = [];
  const notes: string[] = [];
  let converted = 0;
  for (const [i, doc] of (Array.isArray(docs) ? docs : []).entries()) {
    if (doc.errors.length > 0)
      throw modelErrors.create(
        'KEDGE_MODEL_YAML',
        `${file}: document ${i + 1}: ${doc.errors[0]!.message.split('\n')[0]}`,
      );
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const result = convertV1alpha2(value);
    if (!result) {
      out.push(doc.toString());
      continue;
    }
    converted++;
    const meta = obj(result.value['metadata']);
    const what = `${String(result.value['kind'])} ${String(meta['name'] ?? '?')}`;
    for (const note of result.notes) notes.push(`${file}: document ${i + 1} (${what}): ${note}`);
    out.push(stringify(result.value, { lineWidth: 0 }));
  }
  return { yaml: out.join('---\n'), notes, converted };
}

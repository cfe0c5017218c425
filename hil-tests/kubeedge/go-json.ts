/**
 * What Go's encoding/json accepts when it decodes into KubeEdge's structs: the shapes below are
 * transcribed from KubeEdge's Go types (file and line on each), and `goDecode` applies Go's rules
 * to a JSON value: unknown fields are ignored, null leaves the zero value, and a value of the
 * wrong JSON type (a number into a string, 1.5 or "5" into an int64, a string into a bool) is the
 * error json.Unmarshal returns ("cannot unmarshal number into Go struct field ... of type string").
 * No Go toolchain exists on this machine; this is the part of encoding/json the contract needs.
 */
export type GoType =
  | 'string'
  | 'int64'
  | 'bool'
  | 'any'
  | { struct: Record<string, GoType> }
  | { map: GoType }
  | { slice: GoType }
  | { ptr: GoType };

const struct = (fields: Record<string, GoType>): GoType => ({ struct: fields });
const ptr = (t: GoType): GoType => ({ ptr: t });
const map = (t: GoType): GoType => ({ map: t });

/** edge/pkg/devicetwin/dttype/types.go (v1.23.1), the types edgecore and mappers-go decode with. */
const BaseMessage = { event_id: 'string', timestamp: 'int64' } as const; // types.go:38
const TwinValue = struct({ value: ptr('string'), metadata: ptr(struct({ timestamp: 'int64' })) }); // types.go:134, 151
const MsgTwin = struct({
  // types.go:137-144
  expected: ptr(TwinValue),
  actual: ptr(TwinValue),
  optional: ptr('bool'),
  metadata: ptr(struct({ type: 'string' })),
  expected_version: ptr(struct({ cloud: 'int64', edge: 'int64' })),
  actual_version: ptr(struct({ cloud: 'int64', edge: 'int64' })),
});

export const go = {
  /** dttype DeviceTwinResult (types_helper.go:236): twin/update/result and twin/get/result. */
  DeviceTwinResult: struct({ ...BaseMessage, twin: map(ptr(MsgTwin)) }),
  /** dttype DeviceTwinDelta (types_helper.go BuildDeviceTwinDelta): twin/update/delta; mappers-go mappers/common/event_type.go:70-74 decodes it (modbus device.go:89). */
  DeviceTwinDelta: struct({ ...BaseMessage, twin: map(ptr(MsgTwin)), delta: map('string') }),
  /** dttype DeviceTwinDocument, TwinDoc (types.go:232, 238): twin/update/document. */
  DeviceTwinDocument: struct({
    ...BaseMessage,
    twin: map(ptr(struct({ last: ptr(MsgTwin), current: ptr(MsgTwin) }))),
  }),
  /** dttype Result (types.go:69): an error answer. */
  Result: struct({ ...BaseMessage, code: 'int64', reason: 'string' }),
  /** dttype DeviceMsg (types_helper.go:174) with DeviceCloudMsg (types.go:27): state/update/result. */
  DeviceMsg: struct({
    ...BaseMessage,
    device: struct({ name: 'string', state: 'string', lastOnlineTime: 'string', twin: map(ptr(MsgTwin)) }),
  }),
  /** mapper-framework pkg/common/eventtype.go:77-92 DeviceData (and mappers-go event_type.go): data/update. */
  DeviceData: struct({
    ...BaseMessage,
    data: map(ptr(struct({ value: 'string', metadata: struct({ timestamp: 'int64', type: 'string' }) }))),
  }),
} as const;

/** Go's json.Unmarshal of `value` into `type`: the errors it would return (empty: decoded). */
export function goDecode(type: GoType, value: unknown, path = ''): string[] {
  if (value === null) return []; // null: the zero value, for every Go type
  const wrong = (want: string) => [
    `json: cannot unmarshal ${jsonKind(value)} into Go value ${path || '(root)'} of type ${want}`,
  ];
  if (type === 'any') return [];
  if (type === 'string') return typeof value === 'string' ? [] : wrong('string');
  if (type === 'bool') return typeof value === 'boolean' ? [] : wrong('bool');
  if (type === 'int64')
    return typeof value === 'number' && Number.isInteger(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER
      ? []
      : wrong('int64');
  if ('ptr' in type) return goDecode(type.ptr, value, path);
  if ('slice' in type)
    return Array.isArray(value) ? value.flatMap((v, i) => goDecode(type.slice, v, `${path}[${i}]`)) : wrong('slice');
  if (typeof value !== 'object' || Array.isArray(value)) return wrong('struct or map');
  const entries = Object.entries(value as Record<string, unknown>);
  if ('map' in type) return entries.flatMap(([k, v]) => goDecode(type.map, v, `${path}[${k}]`));
  // encoding/json matches field names case-insensitively and ignores fields it does not know.
  const fields = new Map(Object.entries(type.struct).map(([k, t]) => [k.toLowerCase(), [k, t] as const]));
  return entries.flatMap(([k, v]) => {
    const field = fields.get(k.toLowerCase());
    return field ? goDecode(field[1], v, path ? `${path}.${field[0]}` : field[0]) : [];
  });
}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  return typeof v === 'number'
    ? 'number'
    : typeof v === 'string'
      ? 'string'
      : typeof v === 'boolean'
        ? 'bool'
        : 'object';
}

import { Type, type Static } from '@sinclair/typebox';
import { CleansingRulesSchema } from './cleansing/index.js';
import { MAX_CYCLE_MS } from './cycles.js';
import { AccessModeSchema, PropertyTypeSchema, PushMethodSchema } from './schema.js';

/**
 * The resolved form of a Device (joined with its DeviceModel, see resolveDeviceInstance) that
 * mappers, the twin and the pipeline consume: defaults applied, cycles in ms, cleansing merged.
 * It crosses process boundaries (the mapper device set over MQTT), so it is a schema too.
 */
export const PropertyInstanceSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  type: PropertyTypeSchema,
  accessMode: AccessModeSchema,
  unit: Type.Optional(Type.String()),
  minimum: Type.Optional(Type.Number()),
  maximum: Type.Optional(Type.Number()),
  /** visitors.configData over the model property's ({} when both are absent). */
  visitor: Type.Record(Type.String(), Type.Unknown()),
  /** Normalized: legacy nanoseconds converted, missing -> 1000; at most the longest a timer waits. */
  collectCycleMs: Type.Number({ exclusiveMinimum: 0, maximum: MAX_CYCLE_MS }),
  reportCycleMs: Type.Number({ maximum: MAX_CYCLE_MS }),
  reportToCloud: Type.Boolean(),
  /** desired.value */
  desired: Type.Optional(Type.String()),
  /** The model property's rules, each rule key overridden by the device property's. */
  cleansing: Type.Optional(CleansingRulesSchema),
  /** The device property's pushMethod, as written (the mapper pushes its readings there). */
  pushMethod: Type.Optional(PushMethodSchema),
});
export type PropertyInstance = Static<typeof PropertyInstanceSchema>;

export const DeviceInstanceSchema = Type.Object({
  /** `<namespace>/<name>`, as in KubeEdge's MQTT topics. */
  id: Type.String({ minLength: 3 }),
  namespace: Type.String({ minLength: 1 }),
  name: Type.String({ minLength: 1 }),
  /** DeviceModel name. */
  model: Type.String(),
  nodeName: Type.Optional(Type.String()),
  /**
   * spec.protocol.protocolName (else the model's spec.protocol), lower case: 'modbus' | 'opcua' |
   * 'serial' | 'gpio' | other; '' when neither names one (no mapper serves the device).
   */
  protocol: Type.String(),
  /** spec.protocol.configData over the model's protocolConfigData, checked by the protocol schema in `kedge validate`. */
  protocolConfig: Type.Record(Type.String(), Type.Unknown()),
  properties: Type.Array(PropertyInstanceSchema),
});
export type DeviceInstance = Static<typeof DeviceInstanceSchema>;

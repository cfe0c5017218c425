import { Type, type Static } from '@sinclair/typebox';
import { CleansedReadingSchema, RawReadingSchema } from '../model/index.js';
import { DeviceStateSchema } from './twin-values.js';

/**
 * Payloads on the edge MQTT topics, typed once here and checked once where they enter a process
 * (`jsonChecker` of src/core/schema). KubeEdge's messages start with `event_id` and `timestamp` (ms).
 */
const EventBase = { event_id: Type.String(), timestamp: Type.Number() };

/** A reading as a mapper sends it (the model's shape, shared with the drivers and the pipeline). */
export { RawQualitySchema, RawReadingSchema, type RawQuality, type RawReading } from '../model/index.js';

/** kedge: `$ke/events/device/<ns>/<name>/data/raw`, a kedge mapper's readings, one message per device per poll. */
export const RawDataSchema = Type.Object({
  ...EventBase,
  readings: Type.Array(RawReadingSchema, { maxItems: 10_000 }),
});
export type RawData = Static<typeof RawDataSchema>;

/**
 * KubeEdge's DeviceData on `$ke/events/device/<ns>/<name>/data/update` (mappers-go
 * mappers/common/event_type.go, mapper-framework pkg/common/eventtype.go): values are strings,
 * metadata holds the read time (ms) and the lower-case type. kedge adds `quality` and `reason` to
 * the metadata of what it republishes; Go consumers ignore them.
 */
export const DeviceDataValueSchema = Type.Object({
  value: Type.String(),
  metadata: Type.Optional(
    Type.Object({
      timestamp: Type.Optional(Type.Union([Type.Number(), Type.String()])),
      type: Type.Optional(Type.String()),
      quality: Type.Optional(Type.String()),
      reason: Type.Optional(Type.String()),
    }),
  ),
});
export const DeviceDataSchema = Type.Object({
  event_id: Type.Optional(Type.String()),
  timestamp: Type.Optional(Type.Number()),
  data: Type.Record(Type.String(), DeviceDataValueSchema),
});
export type DeviceData = Static<typeof DeviceDataSchema>;

/**
 * What `data/update` accepts: KubeEdge's DeviceData, or kedge's compact readings (what kedge
 * mappers before data/raw published there).
 */
export const DataUpdateSchema = Type.Union([DeviceDataSchema, RawDataSchema]);

/** `.../state/update` (KubeEdge: `state`; kedge adds `reason`). */
export const StateUpdateSchema = Type.Object({
  ...EventBase,
  state: DeviceStateSchema,
  reason: Type.Optional(Type.String()),
});
export type StateUpdate = Static<typeof StateUpdateSchema>;

const TwinValueSchema = Type.Object({
  value: Type.String(),
  metadata: Type.Optional(Type.Object({ timestamp: Type.Number(), quality: Type.Optional(Type.String()) })),
});
const TwinVersionSchema = Type.Object({ cloud: Type.Number(), edge: Type.Number() });

/** One property in KubeEdge's twin messages. */
export const MsgTwinSchema = Type.Object({
  expected: Type.Optional(Type.Union([TwinValueSchema, Type.Null()])),
  actual: Type.Optional(Type.Union([TwinValueSchema, Type.Null()])),
  optional: Type.Optional(Type.Boolean()),
  metadata: Type.Optional(Type.Object({ type: Type.String() })),
  expected_version: Type.Optional(TwinVersionSchema),
  actual_version: Type.Optional(TwinVersionSchema),
});
export type MsgTwin = Static<typeof MsgTwinSchema>;

/** `.../twin/update` (and its `/result`); values are strings as in KubeEdge. */
/** A twin set to null deletes it (an optional twin; KubeEdge's dtmanager/twin.go dealTwinDelete). */
export const TwinUpdateSchema = Type.Object({
  ...EventBase,
  twin: Type.Record(Type.String(), Type.Union([MsgTwinSchema, Type.Null()])),
});
export type TwinUpdate = Static<typeof TwinUpdateSchema>;

/** `.../twin/update/delta`: the twin plus `delta: { <prop>: <expected value> }`. */
export const TwinDeltaSchema = Type.Object({
  ...EventBase,
  twin: Type.Record(Type.String(), MsgTwinSchema),
  delta: Type.Record(Type.String(), Type.String()),
});
export type TwinDelta = Static<typeof TwinDeltaSchema>;

/** `.../twin/update/document`: `{ <prop>: { last, current } }`. */
export const TwinDocumentSchema = Type.Object({
  ...EventBase,
  twin: Type.Record(
    Type.String(),
    Type.Object({ last: Type.Union([MsgTwinSchema, Type.Null()]), current: Type.Union([MsgTwinSchema, Type.Null()]) }),
  ),
});
export type TwinDocument = Static<typeof TwinDocumentSchema>;

/** An error result on any `/result` topic. */
export const ErrorResultSchema = Type.Object({ ...EventBase, code: Type.Number(), reason: Type.String() });
export type ErrorResult = Static<typeof ErrorResultSchema>;

/** `.../twin/get` request (KubeEdge sends an event id only). */
export const TwinGetSchema = Type.Object({
  event_id: Type.Optional(Type.String()),
  timestamp: Type.Optional(Type.Number()),
});
export type TwinGet = Static<typeof TwinGetSchema>;

/** kedge: `.../twin/desired/failed`, a desired value the device did not confirm, and why. */
export const DesiredFailedSchema = Type.Object({
  ...EventBase,
  property: Type.String(),
  value: Type.String(),
  reason: Type.String(),
});
export type DesiredFailed = Static<typeof DesiredFailedSchema>;

/** kedge: `.../write/result`, the mapper's answer to a delta: the read-back or the failure. */
export const WriteResultSchema = Type.Object({
  ...EventBase,
  property: Type.String({ minLength: 1 }),
  desired: Type.String(),
  ok: Type.Boolean(),
  readBack: Type.Optional(RawReadingSchema),
  reason: Type.Optional(Type.String()),
});
export type WriteResult = Static<typeof WriteResultSchema>;

/** kedge: `$ke/mapper-status/<name>`, retained; the last will says offline. */
export const MapperStatusSchema = Type.Object({
  name: Type.String(),
  protocols: Type.Array(Type.String()),
  state: Type.Union([Type.Literal('online'), Type.Literal('offline')]),
  pid: Type.Optional(Type.Number()),
  ts: Type.Number(),
  devices: Type.Optional(Type.Number()),
});
export type MapperStatus = Static<typeof MapperStatusSchema>;

/** kedge: `$ke/events/device/<ns>/<name>/data/cleansed`, the cleansed readings for edge applications. */
export const DataCleansedSchema = Type.Object({
  timestamp: Type.Number(),
  readings: Type.Array(CleansedReadingSchema),
});
export type DataCleansed = Static<typeof DataCleansedSchema>;

/**
 * `.../state/update/result`: KubeEdge's result (dtmanager/device.go), the device with its state and,
 * for online only (omitempty), the time of this update as `lastOnlineTime` (RFC 3339, UTC); kedge's
 * `state` beside it.
 */
export const StateUpdateResultSchema = Type.Object({
  ...EventBase,
  state: DeviceStateSchema,
  device: Type.Object({ name: Type.String(), state: Type.String(), lastOnlineTime: Type.Optional(Type.String()) }),
});
export type StateUpdateResult = Static<typeof StateUpdateResultSchema>;

const MemberSchema = Type.Object({ id: Type.String(), name: Type.String(), state: Type.Optional(Type.String()) });

/** `$hw/events/node/<node>/membership/get/result`: this node's devices with their twins. */
export const MembershipGetResultSchema = Type.Object({
  ...EventBase,
  devices: Type.Array(Type.Composite([MemberSchema, Type.Object({ twin: Type.Record(Type.String(), MsgTwinSchema) })])),
});
export type MembershipGetResult = Static<typeof MembershipGetResultSchema>;

/** `$hw/events/node/<node>/membership/updated`: devices that joined or left this node. */
export const MembershipUpdatedSchema = Type.Object({
  ...EventBase,
  added_devices: Type.Array(MemberSchema),
  removed_devices: Type.Array(MemberSchema),
});
export type MembershipUpdated = Static<typeof MembershipUpdatedSchema>;

import { Type, type Static } from '@sinclair/typebox';
import { CleansedReadingSchema } from '../model/index.js';
import { TwinViewSchema } from './edge-bus.js';

/**
 * What consumers get on the cloud MQTT topics (`cloudTopics`, docs/api.md): kedge's own payloads,
 * one schema each. The cloud writes the telemetry payload as text straight from the link's
 * columns (cloud/devicecontroller/telemetry-payload.ts; a test checks it against this schema).
 */

/** One cleansed reading for consumers (a bad or uncertain one with its reason). */
export const ConsumerReadingSchema = CleansedReadingSchema;
export type ConsumerReading = Static<typeof ConsumerReadingSchema>;

/** `kedge/telemetry/<ns>/<device>`: the readings of one device from one batch of its node. */
export const TelemetryPayloadSchema = Type.Object({
  namespace: Type.String(),
  device: Type.String(),
  node: Type.String(),
  readings: Type.Array(ConsumerReadingSchema),
});
export type TelemetryPayload = Static<typeof TelemetryPayloadSchema>;

/** `kedge/twin/<ns>/<device>` (retained): the device's twin as the API shows it, and its node. */
export const TwinPayloadSchema = Type.Composite([TwinViewSchema, Type.Object({ node: Type.String() })]);
export type TwinPayload = Static<typeof TwinPayloadSchema>;

/** `kedge/status/device/<ns>/<device>` (retained): whether the device answers its mapper. */
export const DeviceStatusPayloadSchema = Type.Object({
  namespace: Type.String(),
  device: Type.String(),
  /** null: the Device names no node. */
  node: Type.Union([Type.String(), Type.Null()]),
  state: Type.String(),
  reason: Type.Optional(Type.String()),
  ts: Type.Number(),
});
export type DeviceStatusPayload = Static<typeof DeviceStatusPayloadSchema>;

/** `kedge/status/node/<node>` (retained): whether the node is connected. */
export const NodeStatusPayloadSchema = Type.Object({
  node: Type.String(),
  ready: Type.Boolean(),
  reason: Type.Optional(Type.String()),
  ts: Type.Number(),
});
export type NodeStatusPayload = Static<typeof NodeStatusPayloadSchema>;

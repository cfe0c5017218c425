import { Type, type Static } from '@sinclair/typebox';
import { QualitySchema } from './cleansing/schema.js';

/**
 * A reading as a mapper delivers it, before cleansing: the one shape the mapper SDK's drivers,
 * the edge MQTT payloads and the pipeline share.
 */

/** A value as read: typed per the property's type; null when there is none (quality bad). */
export const ReadingValueSchema = Type.Union([Type.Number(), Type.Boolean(), Type.String(), Type.Null()]);
export type ReadingValue = Static<typeof ReadingValueSchema>;

/** What a mapper can say of a value it read (`stale` is the pipeline's to give). */
export const RawQualitySchema = Type.Union([Type.Literal('good'), Type.Literal('bad'), Type.Literal('uncertain')]);
export type RawQuality = Static<typeof RawQualitySchema>;

/** One property's reading without the property's name: what one property's pipeline takes. */
export const RawSampleSchema = Type.Object({
  value: ReadingValueSchema,
  quality: RawQualitySchema,
  /** When the device was read (ms since the epoch). */
  ts: Type.Number(),
  /** Why the value is bad or uncertain (e.g. "exception 2 (Illegal Data Address)"). */
  reason: Type.Optional(Type.String()),
  /**
   * kedge: a stable code for why a read failed (`KEDGE_MODBUS_TIMEOUT`, an OPC UA status name such
   * as `BadNodeIdUnknown`): the edge counts read errors by it (`kedge_device_read_errors_total`),
   * where the reason's free text would make a series per message.
   */
  code: Type.Optional(Type.String({ maxLength: 64 })),
});
export type RawSample = Static<typeof RawSampleSchema>;

/** One property's reading. */
export const RawReadingSchema = Type.Composite([
  Type.Object({ property: Type.String({ minLength: 1 }) }),
  RawSampleSchema,
]);
export type RawReading = Static<typeof RawReadingSchema>;

/**
 * One property's reading after cleansing: the quality may be `stale`, and the property's unit
 * travels with it. The cleansed readings on the edge bus, on `data/cleansed` and on the cloud's
 * telemetry topics are this shape, with or without a field.
 */
export const CleansedReadingSchema = Type.Object({
  property: Type.String(),
  value: ReadingValueSchema,
  quality: QualitySchema,
  ts: Type.Number(),
  reason: Type.Optional(Type.String()),
  unit: Type.Optional(Type.String()),
});
export type CleansedReading = Static<typeof CleansedReadingSchema>;

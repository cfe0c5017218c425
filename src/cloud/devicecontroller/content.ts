import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import {
  columnsProblem,
  DeviceStateSchema,
  TelemetryColumnsContentSchema,
  type TelemetryColumnsContent,
} from '../../contracts/index.js';
import { QualitySchema as Quality } from '../../model/index.js';

/** Edge-to-cloud contents (src/contracts/link.ts), checked once here where they enter the cloud. */

export const TelemetryContentSchema = Type.Object({
  readings: Type.Array(
    Type.Object({
      property: Type.String({ minLength: 1 }),
      value: Type.Union([Type.Number(), Type.Boolean(), Type.String(), Type.Null()]),
      unit: Type.Optional(Type.String()),
      quality: Quality,
      ts: Type.Number(),
    }),
    { maxItems: 100_000 },
  ),
});

export const TelemetryBatchContentSchema = Type.Object({
  devices: Type.Array(
    Type.Object({ device: Type.String({ minLength: 3 }), readings: TelemetryContentSchema.properties.readings }),
    { maxItems: 100_000 },
  ),
});

export const TwinReportContentSchema = Type.Object({
  properties: Type.Record(
    Type.String({ minLength: 1 }),
    Type.Object({
      desired: Type.Optional(Type.Object({ value: Type.String(), ts: Type.Number(), version: Type.Number() })),
      reported: Type.Optional(
        Type.Object({
          value: Type.String(),
          quality: Quality,
          ts: Type.Number(),
          version: Type.Number(),
          reason: Type.Optional(Type.String()),
        }),
      ),
      failed: Type.Optional(Type.Object({ value: Type.String(), reason: Type.String(), ts: Type.Number() })),
      desiredSource: Type.Optional(Type.Union([Type.Literal('cloud'), Type.Literal('edge')])),
    }),
  ),
});

export const DeviceStateContentSchema = Type.Object({
  state: DeviceStateSchema,
  reason: Type.Optional(Type.String()),
  ts: Type.Number(),
});

export type TelemetryIn = Static<typeof TelemetryContentSchema>;
export type TelemetryBatchIn = Static<typeof TelemetryBatchContentSchema>;
export type TwinReportIn = Static<typeof TwinReportContentSchema>;
export type DeviceStateIn = Static<typeof DeviceStateContentSchema>;

/** A checker that names the first bad field; never throws. */
export function contentChecker<T>(
  schema: Parameters<typeof TypeCompiler.Compile>[0],
): (value: unknown) => { ok: true; value: T } | { ok: false; reason: string } {
  const compiled = TypeCompiler.Compile(schema);
  return (value) => {
    if (compiled.Check(value)) return { ok: true, value: value as T };
    const first = compiled.Errors(value).First();
    return {
      ok: false,
      reason: first ? `content field ${first.path || '/'}: ${first.message}` : 'content does not match',
    };
  };
}

export const checkTelemetry = contentChecker<TelemetryIn>(TelemetryContentSchema);
export const checkTelemetryBatch = contentChecker<TelemetryBatchIn>(TelemetryBatchContentSchema);
export const checkTwinReport = contentChecker<TwinReportIn>(TwinReportContentSchema);
export const checkDeviceState = contentChecker<DeviceStateIn>(DeviceStateContentSchema);

const checkColumnsSchema = contentChecker<TelemetryColumnsContent>(TelemetryColumnsContentSchema);

/** The schema (src/contracts/telemetry-columns.ts), then what it cannot say: lengths and indexes agree. */
export function checkTelemetryColumns(
  value: unknown,
): { ok: true; value: TelemetryColumnsContent } | { ok: false; reason: string } {
  const checked = checkColumnsSchema(value);
  if (!checked.ok) return checked;
  const devices = checked.value.devices;
  for (let i = 0; i < devices.length; i++) {
    const problem = columnsProblem(devices[i]!);
    if (problem) return { ok: false, reason: `content field /devices/${i} (${devices[i]!.device}): ${problem}` };
  }
  return checked;
}

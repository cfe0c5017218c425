import { Type, type Static } from '@sinclair/typebox';
import { QualitySchema } from '../model/cleansing/index.js';

/**
 * The values of one property's twin, as every side keeps and sends them: the edge twin's rows, the
 * link's twin reports, the cloud's Device status, the APIs' twin views. One schema each, so the
 * five places that wrote `{ value, quality, ts, version }` cannot drift apart.
 */

/** Who set a desired value: the cloud (Device spec) or an application on the edge. */
export const DesiredSourceSchema = Type.Union([Type.Literal('cloud'), Type.Literal('edge')]);
export type DesiredSource = Static<typeof DesiredSourceSchema>;

/** A desired value: the value as a string (KubeEdge style), when it was set (ms), its version. */
export const DesiredValueSchema = Type.Object({ value: Type.String(), ts: Type.Number(), version: Type.Number() });
export type DesiredValue = Static<typeof DesiredValueSchema>;

/**
 * A reported value: cleansed, as a string, with its quality, when it was read (ms), its version,
 * and why its quality is not good (the cleansing or the device said; left out when good).
 */
export const ReportedValueSchema = Type.Object({
  value: Type.String(),
  quality: QualitySchema,
  ts: Type.Number(),
  version: Type.Number(),
  reason: Type.Optional(Type.String()),
});
export type ReportedValue = Static<typeof ReportedValueSchema>;

/** A desired value the device did not confirm (refused, read back otherwise, or timed out), and why. */
export const FailedValueSchema = Type.Object({ value: Type.String(), reason: Type.String(), ts: Type.Number() });
export type FailedValue = Static<typeof FailedValueSchema>;

/** A device's connection state (KubeEdge's `state/update`; kedge adds a reason). */
export const DeviceStateSchema = Type.Union([
  Type.Literal('online'),
  Type.Literal('offline'),
  Type.Literal('unhealthy'),
  Type.Literal('unknown'),
]);
export type DeviceState = Static<typeof DeviceStateSchema>;

/** A mapper workload's phase, named as a pod's (Edged on the edge, the Node status in the cloud). */
export const MapperPhaseSchema = Type.Union([
  Type.Literal('Running'),
  Type.Literal('Starting'),
  Type.Literal('CrashLoopBackOff'),
  Type.Literal('Stopped'),
]);
export type MapperPhase = Static<typeof MapperPhaseSchema>;

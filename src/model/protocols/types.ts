import type { TSchema } from '@sinclair/typebox';

/**
 * Protocol name -> the schemas of its Device `protocol.configData` and property `visitors.configData`,
 * plus the checks a JSON schema cannot express. Light: no driver is imported, so `kedge validate`
 * and the CRD generator load none. Unknown-field policy in these schemas: an object with
 * `additionalProperties: false` (kedge-defined, e.g. serial framing) reports unknown fields as
 * errors; any other object (KubeEdge's configData, extended by kedge) as warnings.
 */
export interface SchemaIssue {
  /** Relative to the configData being checked (e.g. `['limit']`); `[]` is the configData itself. */
  path: (string | number)[];
  message: string;
  severity: 'error' | 'warning';
}

/** What a visitor check may need to know about the property and the device it belongs to. */
export interface VisitorContext {
  /** The device's `protocol.configData` (already schema-valid, or `{}`). */
  device: Record<string, unknown>;
  /** DeviceModel property type (INT, FLOAT, ...). */
  propertyType: string;
  accessMode: 'ReadWrite' | 'ReadOnly';
  hasDesired: boolean;
}

/**
 * What a device can take for a property, as the visitor makes it (e.g. a uint16 register scaled by
 * 1.5 holds 0..98302.5 in steps of 1.5). Desired values are checked against it when they are set.
 */
export interface WriteLimits {
  min?: number;
  max?: number;
  /** Values are `origin + k * step`. */
  step?: number;
  origin?: number;
  /** Longest string, in characters. */
  maxLength?: number;
  /** Says where the limits come from, e.g. "a uint16 register scaled by 1.5". */
  source: string;
}

export interface ProtocolSchemas {
  deviceConfig: TSchema;
  visitorConfig: TSchema;
  /** Runs only when `deviceConfig` accepted the value. */
  checkDevice(config: Record<string, unknown>): SchemaIssue[];
  /** Runs only when `visitorConfig` accepted the value. */
  checkVisitor(visitor: Record<string, unknown>, context: VisitorContext): SchemaIssue[];
  /** The limits of a written value (none: the protocol knows none); only for a visitor that validates. */
  writeLimits?(visitor: Record<string, unknown>, propertyType: string): WriteLimits | undefined;
}

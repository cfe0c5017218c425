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

export interface ProtocolSchemas {
  deviceConfig: TSchema;
  visitorConfig: TSchema;
  /** Runs only when `deviceConfig` accepted the value. */
  checkDevice(config: Record<string, unknown>): SchemaIssue[];
  /** Runs only when `visitorConfig` accepted the value. */
  checkVisitor(visitor: Record<string, unknown>, context: VisitorContext): SchemaIssue[];
}

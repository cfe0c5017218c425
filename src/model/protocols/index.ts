import { gpioSchemas } from './gpio.js';
import { modbusSchemas } from './modbus.js';
import { opcuaSchemas } from './opcua.js';
import type { ProtocolSchemas } from './types.js';
import { serialSchemas } from './serial.js';

export * from './gpio.js';
export * from './modbus.js';
export * from './opcua.js';
export * from './serial.js';
export type { ProtocolSchemas, SchemaIssue, VisitorContext, WriteLimits } from './types.js';
export { modbusWriteLimits } from './modbus-limits.js';
import type { WriteLimits } from './types.js';

/** The protocols kedge ships, each with its schemas (./types.ts says what they are). */

export const PROTOCOL_SCHEMAS: Readonly<Record<string, ProtocolSchemas>> = {
  modbus: modbusSchemas,
  opcua: opcuaSchemas,
  serial: serialSchemas,
  gpio: gpioSchemas,
};

export const KNOWN_PROTOCOLS = Object.keys(PROTOCOL_SCHEMAS);

/** What the device can take for a property (undefined: nothing known beyond the property's type). */
export function writeLimitsFor(
  protocolName: string,
  visitor: Record<string, unknown>,
  propertyType: string,
): WriteLimits | undefined {
  return protocolSchemasFor(protocolName)?.writeLimits?.(visitor, propertyType);
}

/** The schemas of a protocol (case-insensitive), undefined for custom mappers kedge does not ship. */
export function protocolSchemasFor(protocolName: string): ProtocolSchemas | undefined {
  return PROTOCOL_SCHEMAS[protocolName.toLowerCase()];
}

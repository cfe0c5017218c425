import type { TSchema } from '@sinclair/typebox';
import { ACCESS_MODES, PROPERTY_TYPES, checkSchema, type DeviceInstance } from '../../src/model/index.js';
import { protocolSchemasFor } from '../schemas.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Why a device from a device set cannot run, or undefined when it can. The device set arrives over
 * MQTT from whatever published it, so the resolved instance is checked again here with the same
 * protocol schemas `kedge validate` uses: a bad device is reported, the others still run.
 */
export function deviceProblem(device: DeviceInstance, protocol: string): string | undefined {
  const shape = shapeProblem(device);
  if (shape) return shape;
  if (device.protocol.toLowerCase() !== protocol)
    return `protocol is ${device.protocol}, but it arrived in the ${protocol} device set`;
  const schemas = protocolSchemasFor(protocol);
  if (!schemas) return undefined; // custom protocol: its driver checks
  const config = schemaProblem(schemas.deviceConfig, device.protocolConfig, 'protocolConfig');
  if (config) return config;
  const deviceIssue = schemas.checkDevice(device.protocolConfig).find((i) => i.severity === 'error');
  if (deviceIssue) return `protocolConfig${pathText(deviceIssue.path)}: ${deviceIssue.message}`;
  for (const p of device.properties) {
    const where = `property ${p.name} visitor`;
    const visitor = schemaProblem(schemas.visitorConfig, p.visitor, where);
    if (visitor) return visitor;
    const context = {
      device: device.protocolConfig,
      propertyType: p.type,
      accessMode: p.accessMode,
      hasDesired: p.desired !== undefined,
    };
    const issue = schemas.checkVisitor(p.visitor, context).find((i) => i.severity === 'error');
    if (issue) return `${where}${pathText(issue.path)}: ${issue.message}`;
  }
  return undefined;
}

function shapeProblem(device: DeviceInstance): string | undefined {
  if (typeof device.name !== 'string' || typeof device.namespace !== 'string')
    return 'namespace and name must be strings';
  if (device.id !== `${device.namespace}/${device.name}`)
    return `id must be <namespace>/<name> (${device.namespace}/${device.name})`;
  if (!isRecord(device.protocolConfig)) return 'protocolConfig must be an object';
  const names = new Set<string>();
  for (const p of device.properties) {
    if (names.has(p.name)) return `property ${p.name} appears twice`;
    names.add(p.name);
    if (!PROPERTY_TYPES.includes(p.type))
      return `property ${p.name}: type must be one of ${PROPERTY_TYPES.join(', ')}, got ${String(p.type)}`;
    if (!ACCESS_MODES.includes(p.accessMode))
      return `property ${p.name}: accessMode must be ReadWrite or ReadOnly, got ${String(p.accessMode)}`;
    if (!isRecord(p.visitor)) return `property ${p.name}: visitor must be an object`;
    if (!(typeof p.collectCycleMs === 'number' && p.collectCycleMs > 0))
      return `property ${p.name}: collectCycleMs must be a positive number`;
  }
  return undefined;
}

/** The first error `kedge validate` would report for this field, in its words. */
function schemaProblem(schema: TSchema, value: unknown, where: string): string | undefined {
  const { valid, problems } = checkSchema(schema, value, [where]);
  if (valid) return undefined;
  return problems.find((p) => p.severity === 'error')?.message ?? `${where} does not match the schema`;
}

function pathText(path: (string | number)[]): string {
  return path.length === 0 ? '' : `.${path.join('.')}`;
}

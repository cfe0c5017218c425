import type { TSchema } from '@sinclair/typebox';
import { checkSchema, DeviceInstanceSchema, protocolSchemasFor, type DeviceInstance } from '../../src/model/index.js';

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

/** The instance's schema (it arrived over MQTT from whatever published it), then what a schema cannot say. */
function shapeProblem(device: DeviceInstance): string | undefined {
  const shape = schemaProblem(DeviceInstanceSchema, device, 'device');
  if (shape) return shape;
  if (device.id !== `${device.namespace}/${device.name}`)
    return `id must be <namespace>/<name> (${device.namespace}/${device.name})`;
  const names = new Set<string>();
  for (const p of device.properties) {
    if (names.has(p.name)) return `property ${p.name} appears twice`;
    names.add(p.name);
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

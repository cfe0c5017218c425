import type { YamlDocument } from '../core/yaml/index.js';
import { KNOWN_PROTOCOLS, protocolSchemasFor, type ProtocolSchemas } from './protocols/index.js';
import { editDistance, formatPath } from './describe-schema.js';
import { checkSchema, type Path } from './schema-check.js';
import { DEFAULT_ACCESS_MODE } from './resolve.js';
import type { Device, ModelProperty } from './schema.js';
import type { Report } from './validate-report.js';

/**
 * Checks a Device's `protocol.configData` and each property's `visitors.configData` with the
 * protocol's schemas (mappers/<protocol>/schema.ts). Protocols kedge has no mapper for are
 * custom KubeEdge mappers: accepted unchecked, unless the name looks like a misspelt known one.
 * `device` has its model's defaults merged in; `own` is the Device as written, so that a problem
 * in a value that came from the model says so.
 */
export function checkProtocol(
  doc: YamlDocument,
  device: Device,
  modelProperties: ReadonlyMap<string, ModelProperty> | undefined,
  report: Report,
  own: Device = device,
): void {
  const name = device.spec.protocol?.protocolName;
  if (!name) return;
  const schemas = protocolSchemasFor(name);
  if (!schemas) {
    const guess = misspeltProtocol(name);
    if (guess)
      report.warning(
        doc,
        ['spec', 'protocol', 'protocolName'],
        `${name} is not a kedge protocol; did you mean ${guess}? (kedge ships ${KNOWN_PROTOCOLS.join(', ')}; other names need a custom mapper)`,
      );
    return;
  }
  const devicePrefix: Path = ['spec', 'protocol', 'configData'];
  const deviceConfig = device.spec.protocol?.configData ?? {};
  const fromModel = inherited(deviceConfig, own.spec.protocol?.configData, 'spec.protocolConfigData');
  const deviceOk = run(doc, report, schemas.deviceConfig, deviceConfig, devicePrefix, fromModel, (c) =>
    schemas.checkDevice(c),
  );
  (device.spec.properties ?? []).forEach((property, i) => {
    const visitorProtocol = property.visitors?.protocolName;
    if (visitorProtocol !== undefined && visitorProtocol.toLowerCase() !== name.toLowerCase()) {
      report.error(
        doc,
        ['spec', 'properties', i, 'visitors', 'protocolName'],
        `expected ${name} (spec.protocol.protocolName), got ${visitorProtocol}`,
      );
    }
    const declared = modelProperties?.get(property.name);
    const visitor = property.visitors?.configData ?? {};
    const prefix: Path = ['spec', 'properties', i, 'visitors', 'configData'];
    const ownVisitor = own.spec.properties?.find((p) => p.name === property.name)?.visitors?.configData;
    const visitorFromModel = inherited(visitor, ownVisitor, `property ${property.name}'s visitors`);
    run(doc, report, schemas.visitorConfig, visitor, prefix, visitorFromModel, (v) =>
      declared
        ? schemas.checkVisitor(v, {
            device: deviceOk ? deviceConfig : {},
            propertyType: declared.type,
            accessMode: declared.accessMode ?? DEFAULT_ACCESS_MODE,
            hasDesired: property.desired !== undefined,
          })
        : [],
    );
  });
}

function run(
  doc: YamlDocument,
  report: Report,
  schema: ProtocolSchemas['deviceConfig'],
  value: Record<string, unknown>,
  prefix: Path,
  fromModel: (key: string | number | undefined) => string,
  semantic: (value: Record<string, unknown>) => ReturnType<ProtocolSchemas['checkDevice']>,
): boolean {
  const { valid, problems } = checkSchema(schema, value, prefix);
  for (const p of problems) report.add(doc, { ...p, message: p.message + fromModel(p.path[prefix.length]) });
  if (!valid) return false;
  let ok = true;
  for (const issue of semantic(value)) {
    const path = [...prefix, ...issue.path];
    const message = `${formatPath(path)}: ${issue.message}${fromModel(issue.path[0])}`;
    report.add(doc, { path, message, severity: issue.severity, at: 'value' });
    if (issue.severity === 'error') ok = false;
  }
  return ok;
}

/** For a key of the merged config: a note when its value came from the DeviceModel, not the Device. */
function inherited(
  merged: Record<string, unknown>,
  own: Record<string, unknown> | undefined,
  where: string,
): (key: string | number | undefined) => string {
  return (key) =>
    typeof key === 'string' && key in merged && !(own && key in own)
      ? ` (the value comes from the DeviceModel's ${where})`
      : '';
}

/** `Modbus-TCP` -> modbus, `opc-ua` -> opcua, `modbsu` -> modbus; undefined for a genuinely custom name. */
function misspeltProtocol(name: string): string | undefined {
  const squashed = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  const prefixed = KNOWN_PROTOCOLS.find((p) => squashed.startsWith(p));
  if (prefixed) return prefixed;
  return KNOWN_PROTOCOLS.find((p) => distanceAtMost2(squashed, p));
}

function distanceAtMost2(a: string, b: string): boolean {
  return editDistance(a, b) <= 2;
}

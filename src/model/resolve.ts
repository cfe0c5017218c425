import type { CleansingRules } from './cleansing/index.js';
import { normalizeCycle } from './cycles.js';
import { modelErrors } from './errors.js';
import { mergeModelDefaults, protocolOf } from './merge.js';
import type { DeviceInstance, PropertyInstance } from './instance.js';
import type { Device, DeviceModel, ModelProperty } from './schema.js';

export const DEFAULT_NAMESPACE = 'default';

export function namespaceOf(meta: { namespace?: string | undefined }): string {
  return meta.namespace ?? DEFAULT_NAMESPACE;
}

/** A model property without `accessMode` (optional in KubeEdge's CRD) is never written. */
export const DEFAULT_ACCESS_MODE = 'ReadOnly';

/**
 * Joins a validated Device with its DeviceModel (the model's visitors and protocolConfigData merged
 * in, the instance winning). Throws KEDGE_MODEL_MISMATCH when the device does not reference this
 * model or uses another protocol, KEDGE_MODEL_UNKNOWN_PROPERTY for a device property the model does
 * not declare. Only the device's properties are included: a model property without a visitor
 * cannot be read.
 */
export function resolveDeviceInstance(original: Device, model: DeviceModel): DeviceInstance {
  const device = mergeModelDefaults(original, model);
  const namespace = namespaceOf(device.metadata);
  const name = device.metadata.name;
  const id = `${namespace}/${name}`;
  if (device.spec.deviceModelRef.name !== model.metadata.name) {
    throw modelErrors.create(
      'KEDGE_MODEL_MISMATCH',
      `device ${id} references DeviceModel ${device.spec.deviceModelRef.name}, not ${model.metadata.name}`,
    );
  }
  const protocol = protocolOf(device);
  if (model.spec.protocol && model.spec.protocol.toLowerCase() !== protocol) {
    throw modelErrors.create(
      'KEDGE_MODEL_MISMATCH',
      `device ${id} uses protocol ${protocol} but DeviceModel ${model.metadata.name} says ${model.spec.protocol}`,
    );
  }
  const byName = new Map((model.spec.properties ?? []).map((p) => [p.name, p]));
  const properties = (device.spec.properties ?? []).map((p): PropertyInstance => {
    const declared = byName.get(p.name);
    if (!declared) {
      throw modelErrors.create(
        'KEDGE_MODEL_UNKNOWN_PROPERTY',
        `device ${id} property ${p.name} is not declared in DeviceModel ${model.metadata.name}`,
      );
    }
    const instance: PropertyInstance = {
      name: p.name,
      type: declared.type,
      accessMode: declared.accessMode ?? DEFAULT_ACCESS_MODE,
      visitor: p.visitors?.configData ?? {},
      collectCycleMs: normalizeCycle(p.collectCycle).ms,
      reportCycleMs: normalizeCycle(p.reportCycle).ms,
      reportToCloud: p.reportToCloud ?? false,
    };
    if (declared.unit !== undefined) instance.unit = declared.unit;
    const minimum = boundOf(declared.minimum);
    const maximum = boundOf(declared.maximum);
    if (minimum !== undefined) instance.minimum = minimum;
    if (maximum !== undefined) instance.maximum = maximum;
    if (p.desired !== undefined) instance.desired = p.desired.value;
    const cleansing = mergeCleansing(declared, p.cleansing);
    if (cleansing) instance.cleansing = cleansing;
    if (p.pushMethod) instance.pushMethod = p.pushMethod;
    return instance;
  });
  const instance: DeviceInstance = {
    id,
    namespace,
    name,
    model: model.metadata.name,
    protocol,
    protocolConfig: device.spec.protocol?.configData ?? {},
    properties,
  };
  if (device.spec.nodeName !== undefined) instance.nodeName = device.spec.nodeName;
  return instance;
}

/** `minimum`/`maximum` are strings in KubeEdge YAML ("100.0"), numbers in kedge's. */
export function boundOf(value: number | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'number' ? value : Number(value.trim());
  return Number.isFinite(n) ? n : undefined;
}

function mergeCleansing(declared: ModelProperty, own: CleansingRules | undefined): CleansingRules | undefined {
  if (!declared.cleansing && !own) return undefined;
  return { ...declared.cleansing, ...own };
}

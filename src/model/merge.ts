import type { Device, DeviceModel } from './schema.js';

/**
 * KubeEdge v1.22+ lets a DeviceModel carry defaults for its devices: `spec.protocolConfigData` and
 * each property's `visitors`. A device gets them merged in, the instance winning key by key in
 * `configData` (KubeEdge's edge/pkg/devicetwin/dmicache/dmicache.go, overrideDeviceInstanceConfig).
 * kedge also takes the model's `spec.protocol` when the Device names none (KubeEdge's CRD makes
 * `spec.protocol` optional; a device without any protocol is served by no mapper).
 * Returns a new Device; neither input is changed.
 */
export function mergeModelDefaults(device: Device, model: DeviceModel): Device {
  const spec = device.spec;
  const byName = new Map((model.spec.properties ?? []).map((p) => [p.name, p]));
  const properties = spec.properties?.map((p) => {
    const defaults = byName.get(p.name)?.visitors;
    if (!defaults) return p;
    const configData =
      defaults.configData || p.visitors?.configData ? { ...defaults.configData, ...p.visitors?.configData } : undefined;
    const protocolName = p.visitors?.protocolName ?? defaults.protocolName;
    const visitors = {
      ...defaults,
      ...p.visitors,
      ...(protocolName !== undefined ? { protocolName } : {}),
      ...(configData ? { configData } : {}),
    };
    return { ...p, visitors };
  });
  const protocolName = spec.protocol?.protocolName || model.spec.protocol;
  const shared = model.spec.protocolConfigData;
  const own = spec.protocol?.configData;
  const configData = shared || own ? { ...shared, ...own } : undefined;
  const protocol =
    protocolName !== undefined || configData
      ? { ...spec.protocol, ...(protocolName ? { protocolName } : {}), ...(configData ? { configData } : {}) }
      : undefined;
  const merged: Device = { ...device, spec: { ...spec } };
  if (properties) merged.spec.properties = properties;
  if (protocol) merged.spec.protocol = protocol;
  else delete merged.spec.protocol;
  return merged;
}

/** The Device's protocol name, lower case; '' when neither it nor its model names one. */
export function protocolOf(device: Device): string {
  return (device.spec.protocol?.protocolName ?? '').toLowerCase();
}

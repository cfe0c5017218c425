import { readFile } from 'node:fs/promises';
import { parseYamlDocuments } from '../../../src/core/yaml/index.js';
import { errorText } from '../../../src/core/errors/index.js';
import { normalizePropertyType, resolveDeviceInstance, type Device, type DeviceInstance, type DeviceModel } from '../../../src/model/index.js';
import { opcuaErrors } from '../errors.js';

/**
 * Reads DeviceModel + Device YAML files (any number of documents, any order across files) and
 * returns the resolved instances of the devices that use protocol opcua. Run `kedge validate` for
 * full diagnostics; this names the file and device of the first thing that prevents simulation.
 */
export async function loadOpcuaInstances(files: string[]): Promise<DeviceInstance[]> {
  const models = new Map<string, DeviceModel>();
  const devices: { device: Device; file: string }[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch((err: unknown) => {
      throw opcuaErrors.create('KEDGE_OPCUA_SIM_MODEL', `${file}: cannot read: ${errorText(err)}`);
    });
    const parsed = parseYamlDocuments(text, file);
    if (parsed.diagnostics.length > 0) {
      const d = parsed.diagnostics[0]!;
      throw opcuaErrors.create('KEDGE_OPCUA_SIM_MODEL', `${d.file}:${d.line}:${d.col}: ${d.message}`);
    }
    for (const doc of parsed.documents) {
      const value = doc.value as { kind?: unknown; metadata?: { name?: unknown } } | null;
      if (value?.kind === 'DeviceModel') models.set(String(value.metadata?.name), normalizeTypes(value as DeviceModel));
      else if (value?.kind === 'Device') devices.push({ device: value as Device, file });
    }
  }
  const instances: DeviceInstance[] = [];
  for (const { device, file } of devices) {
    if (device.spec?.protocol?.protocolName?.toLowerCase() !== 'opcua') continue;
    const model = models.get(device.spec.deviceModelRef?.name);
    if (!model) {
      throw opcuaErrors.create('KEDGE_OPCUA_SIM_MODEL', `${file}: device ${device.metadata?.name} references DeviceModel ${device.spec.deviceModelRef?.name}, which none of the files defines`);
    }
    instances.push(resolveDeviceInstance(device, model));
  }
  if (instances.length === 0) {
    throw opcuaErrors.create('KEDGE_OPCUA_SIM_MODEL', `${files.join(', ')}: no Device with protocolName opcua`);
  }
  return instances;
}

/** Property types in any case (as kedge validate accepts them) -> upper case. */
function normalizeTypes(model: DeviceModel): DeviceModel {
  const properties = (model.spec.properties ?? []).map((p) => ({ ...p, type: normalizePropertyType(String(p.type)) ?? p.type }));
  return { ...model, spec: { ...model.spec, properties } };
}

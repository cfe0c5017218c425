import {
  AccessLevelFlag,
  DataType,
  StatusCodes,
  Variant,
  coerceNodeId,
  type AddressSpace,
  type UAObject,
  type UAVariable,
} from 'node-opcua';
import type { DeviceInstance, PropertyInstance, PropertyValue } from '../../../src/model/index.js';
import { opcuaErrors } from '../errors.js';
import { initialValue } from './signals.js';

export interface SimVariable {
  nodeId: string;
  variable: UAVariable;
  property: PropertyInstance;
  device: string;
}

const DATA_TYPES: Record<PropertyInstance['type'], DataType> = {
  INT: DataType.Int32,
  FLOAT: DataType.Float,
  DOUBLE: DataType.Double,
  BOOLEAN: DataType.Boolean,
  STRING: DataType.String,
  BYTES: DataType.ByteString,
  STREAM: DataType.String,
};

/**
 * Creates one variable per property with exactly the nodeID of its visitor, under
 * Objects/<device name>. Namespace rule: a nodeID `ns=N;...` whose namespace index does not exist
 * yet gets namespaces registered (urn:kedge:sim:ns<k>) until index N exists; `nsu=<uri>;...`
 * registers that URI. ns=0 belongs to the OPC UA standard and is refused. A nodeID used by two
 * properties is created once (the first property's type wins). The browse name is the property name.
 */
export function buildDeviceVariables(addressSpace: AddressSpace, devices: DeviceInstance[]): SimVariable[] {
  const created = new Map<string, SimVariable>();
  for (const device of devices) {
    const folder = addressSpace
      .getOwnNamespace()
      .addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: device.name });
    for (const property of device.properties) {
      const text = property.visitor['nodeID'];
      if (typeof text !== 'string') {
        throw opcuaErrors.create(
          'KEDGE_OPCUA_SIM_MODEL',
          `device ${device.id} property ${property.name}: visitors.configData.nodeID is missing`,
        );
      }
      const nodeId = canonicalNodeId(addressSpace, text, `device ${device.id} property ${property.name}`);
      if (created.has(nodeId)) continue;
      const variable = addVariable(addressSpace, folder, nodeId, property);
      created.set(nodeId, { nodeId, variable, property, device: device.id });
    }
  }
  return [...created.values()];
}

function addVariable(addressSpace: AddressSpace, folder: UAObject, nodeId: string, p: PropertyInstance): UAVariable {
  const id = coerceNodeId(nodeId);
  const namespace = addressSpace.getNamespace(id.namespace);
  const writable = p.accessMode === 'ReadWrite';
  const access = writable ? AccessLevelFlag.CurrentRead | AccessLevelFlag.CurrentWrite : AccessLevelFlag.CurrentRead;
  const variable = namespace.addVariable({
    organizedBy: folder,
    browseName: p.name,
    nodeId: id,
    dataType: DataType[DATA_TYPES[p.type]],
    accessLevel: access,
    userAccessLevel: access,
    minimumSamplingInterval: 0,
  });
  variable.setValueFromSource(variantOf(p.type, initialValue(p)), StatusCodes.Good);
  return variable;
}

export function variantOf(type: PropertyInstance['type'], value: PropertyValue): Variant {
  const dataType = DATA_TYPES[type];
  if (dataType === DataType.ByteString) return new Variant({ dataType, value: Buffer.from(String(value), 'base64') });
  if (dataType === DataType.Boolean) return new Variant({ dataType, value: Boolean(value) });
  if (dataType === DataType.String) return new Variant({ dataType, value: String(value) });
  return new Variant({ dataType, value: Number(value) });
}

/** Registers the namespace the nodeID needs and returns it in `ns=<index>;...` form. */
function canonicalNodeId(addressSpace: AddressSpace, text: string, what: string): string {
  const uri = /^nsu=([^;]+);(.*)$/.exec(text);
  if (uri) {
    const index = (addressSpace.getNamespace(uri[1]!) ?? addressSpace.registerNamespace(uri[1]!)).index;
    return `ns=${index};${uri[2]}`;
  }
  const id = coerceNodeId(text);
  if (id.namespace === 0) {
    throw opcuaErrors.create(
      'KEDGE_OPCUA_SIM_MODEL',
      `${what}: nodeID ${text} is in namespace 0 (the OPC UA standard); use ns=1 or higher`,
    );
  }
  while (addressSpace.getNamespaceArray().length <= id.namespace) {
    addressSpace.registerNamespace(`urn:kedge:sim:ns${addressSpace.getNamespaceArray().length}`);
  }
  return id.toString();
}

import { defineErrors } from '../../src/core/errors/index.js';

/** Every error the OPC UA driver and its simulator raise on purpose. */
export const opcuaErrors = defineErrors({
  KEDGE_OPCUA_INVALID_VISITOR:
    'Give the property a visitor configData.nodeID such as ns=2;s=Temperature (browseName alone is not resolved by kedge).',
  KEDGE_OPCUA_INVALID_CONFIG: {
    status: 400,
    hint: 'Fix the device protocol.configData: url opc.tcp://host:port, securityMode/securityPolicy pair, userName with password.',
  },
  KEDGE_OPCUA_NOT_CONNECTED:
    'The session to the server is down; kedge reconnects with back-off. Check the server is reachable and accepts the client.',
  KEDGE_OPCUA_UNKNOWN_DEVICE: 'The device is not served by this driver; add it first.',
  KEDGE_OPCUA_UNKNOWN_PROPERTY: 'The property is not declared on the device (spec.properties with an OPC UA visitor).',
  KEDGE_OPCUA_READ_ONLY: 'The property is ReadOnly in the DeviceModel; make it ReadWrite to write it.',
  KEDGE_OPCUA_BAD_WRITE_VALUE:
    "The value does not fit the variable's OPC UA data type (range, whole number, date); check the desired value.",
  KEDGE_OPCUA_WRITE_REJECTED:
    'The server refused the write; the status name says why (e.g. BadNotWritable, BadUserAccessDenied, BadTypeMismatch).',
  KEDGE_OPCUA_CONNECT: {
    status: 502,
    hint: 'The edge could not open a session to the server: check the URL and that the edge reaches it; for a refused certificate, trust it in <data-dir>/opcua-pki.',
  },
  KEDGE_OPCUA_BROWSE: {
    status: 502,
    hint: 'The server refused to browse the node; the status name says why (e.g. BadUserAccessDenied).',
  },
  KEDGE_OPCUA_BROWSE_UNKNOWN_NODE: {
    status: 404,
    hint: 'The server has no such node: browse its parent to see the node ids it has.',
  },
  KEDGE_OPCUA_SIM_MODEL:
    'The simulator needs DeviceModel + Device YAML with protocolName opcua and a nodeID per property.',
  KEDGE_OPCUA_SIM_UNKNOWN_NODE: 'The simulator serves no variable with that name or nodeID.',
});

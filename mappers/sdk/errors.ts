import { defineErrors } from '../../src/core/errors/index.js';

/** Every error the mapper SDK raises on purpose. */
export const mapperErrors = defineErrors({
  KEDGE_MAPPER_UNKNOWN_PROTOCOL:
    'kedge ships drivers for modbus, opcua, serial and gpio; check --protocol (comma-separated).',
  KEDGE_MAPPER_DRIVER_LOAD:
    'The driver module of this protocol could not be loaded; check the installation (npm ci) and the log line before this one.',
  KEDGE_MAPPER_MQTT_CONNECT:
    'The mapper cannot reach the MQTT broker; check --mqtt-url and that the edge node (or mosquitto) is running.',
  KEDGE_MAPPER_INVALID_DEVICE:
    'The device in the device set does not satisfy its protocol schema; run kedge validate on its YAML.',
  KEDGE_MAPPER_UNKNOWN_DEVICE: 'The device is not hosted by this mapper (not in the applied device set).',
  KEDGE_MAPPER_UNKNOWN_PROPERTY: 'The property is not declared for this device; check the Device and DeviceModel.',
  KEDGE_MAPPER_READ_ONLY:
    'The property is ReadOnly in the DeviceModel; only ReadWrite properties accept desired values.',
  KEDGE_MAPPER_BAD_VALUE: 'The desired value does not parse as the property type; fix the desired value.',
  KEDGE_MAPPER_DMI_REGISTER:
    "The edge's DMI socket did not take the registration: check that kedge edge (or edgecore) runs and serves that socket (--dmi-socket).",
  KEDGE_MAPPER_METRICS_LISTEN: 'The metrics port is in use or not allowed; choose another --metrics-port.',
});

import { defineErrors } from '../../core/errors/index.js';

export const deviceControllerErrors = defineErrors({
  KEDGE_DEVICECONTROLLER_BAD_CONTENT:
    'An edge message did not have the content its resource type needs; check both sides run the same kedge version.',
  KEDGE_DEVICECONTROLLER_UNKNOWN_DEVICE: {
    status: 404,
    hint: 'No such Device in the cloud store; apply it first (kedge apply -f) or check the namespace/name.',
  },
  KEDGE_DEVICECONTROLLER_BAD_DESIRED: {
    status: 400,
    hint: 'A desired value was refused: the property must exist in the DeviceModel and be ReadWrite, and the value must fit its type, its range and the device (the message says what would).',
  },
  KEDGE_DEVICECONTROLLER_WATCH: 'The store watch failed; the device controller restarts its watch from a fresh list.',
});

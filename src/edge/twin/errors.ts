import { defineErrors } from '../../core/errors/index.js';

export const twinErrors = defineErrors({
  KEDGE_TWIN_UNKNOWN_DEVICE: {
    status: 404,
    hint: 'Apply the Device to this node first (`kedge apply -f device.yaml --edge`).',
  },
  KEDGE_TWIN_UNKNOWN_PROPERTY: {
    status: 400,
    hint: 'Use a property declared in the Device (see `kedge get devices --edge`).',
  },
  KEDGE_TWIN_READ_ONLY: {
    status: 400,
    hint: 'Only ReadWrite properties take desired values; change the DeviceModel accessMode if the device allows writing.',
  },
  KEDGE_TWIN_BAD_VALUE: {
    status: 400,
    hint: 'Send a value of the property type (e.g. "21.5", "true") that fits its range and the device (the message says what would).',
  },
  KEDGE_TWIN_LOCAL_DESIRED_FORBIDDEN: {
    status: 403,
    hint: 'Set the annotation kedge.io/local-desired: "true" on the Device to let edge applications set desired values.',
  },
});

/** KubeEdge-style result codes on `/result` topics. */
export const ResultCode = {
  badRequest: 400,
  forbidden: 403,
  notFound: 404,
  conflict: 409,
  timeout: 504,
  failed: 500,
} as const;

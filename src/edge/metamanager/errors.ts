import { defineErrors } from '../../core/errors/index.js';

export const metaErrors = defineErrors({
  KEDGE_META_INVALID: {
    status: 400,
    hint: 'Fix the listed documents (run `kedge validate -f <file>`); nothing was applied.',
  },
  KEDGE_META_NOT_FOUND: { status: 404, hint: 'Check the namespace and name (`kedge get devices --edge`).' },
  KEDGE_META_IN_USE: { status: 409, hint: 'Delete the Devices that use this DeviceModel first.' },
  KEDGE_META_BAD_MESSAGE:
    'The cloud sent a resource or operation this edge does not handle; check cloud and edge versions match.',
});

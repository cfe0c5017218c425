import { defineErrors } from '../../core/errors/index.js';

export const edgeControllerErrors = defineErrors({
  KEDGE_EDGECONTROLLER_BAD_CONTENT:
    'A mapper status from the edge did not have the expected content; check both sides run the same kedge version.',
  KEDGE_EDGECONTROLLER_STATUS_WRITE:
    'A Node status could not be written to the store; it is written again with the next change.',
});

import { defineErrors } from '../../core/errors/index.js';

export const podControllerErrors = defineErrors({
  KEDGE_PODCONTROLLER_BAD_CONTENT:
    'A pod status from the edge did not have the expected content; check both sides run the same kedge version.',
});

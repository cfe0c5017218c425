import { defineErrors } from '../../core/errors/index.js';

export const edgedErrors = defineErrors({
  KEDGE_EDGED_SPAWN: 'The mapper command could not be started; check the kedge installation (node and dist/ or tsx).',
  KEDGE_EDGED_INPROCESS:
    'The in-process mapper runtime failed; run with --mappers process to isolate the failing driver.',
});

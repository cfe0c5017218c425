import { defineErrors } from '../errors/index.js';

export const configErrors = defineErrors({
  KEDGE_CONFIG_INVALID:
    'Fix the fields named above (in the file, the KEDGE_* environment variable or the flag); `kedge config print` shows the effective configuration.',
  KEDGE_CONFIG_UNREADABLE: 'Check the path given with --config exists and is readable.',
});

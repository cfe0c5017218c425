import { defineErrors } from '../../core/errors/index.js';

export const apiErrors = defineErrors({
  KEDGE_API_NOT_FOUND: 'See docs/api.md for the paths the edge serves.',
  KEDGE_API_BAD_JSON: 'Send a JSON body (Content-Type: application/json).',
  KEDGE_API_TOO_LARGE: 'Split the request (e.g. apply fewer documents at once).',
  KEDGE_API_BAD_REQUEST: 'Check the request body against docs/api.md.',
  KEDGE_API_LISTEN: 'The API port is taken; choose another with --api-port.',
  KEDGE_API_INVALID:
    'The documents did not pass validation; nothing was applied. Fix the errors listed (same checks as `kedge validate`).',
});

/** HTTP status per error code; anything else is 500. */
export function statusFor(code: string): number {
  if (code === 'KEDGE_API_TOO_LARGE') return 413;
  if (code === 'KEDGE_META_IN_USE') return 409;
  if (code.endsWith('_NOT_FOUND') || code === 'KEDGE_TWIN_UNKNOWN_DEVICE') return 404;
  if (code === 'KEDGE_BUS_TIMEOUT') return 504;
  if (code.startsWith('KEDGE_TWIN_') || code.startsWith('KEDGE_API_') || code.endsWith('_INVALID')) return 400;
  return 500;
}

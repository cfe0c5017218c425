import { defineErrors } from '../../core/errors/index.js';

export const apiErrors = defineErrors({
  KEDGE_API_LISTEN: 'The HTTP API could not listen; check --api-port is free (another kedge cloud?).',
  KEDGE_API_NOT_FOUND: 'No such path or object; see docs/api.md for the paths, `kedge get devices` for the objects.',
  KEDGE_API_BAD_REQUEST: 'The request body is not what this path expects; see docs/api.md.',
  KEDGE_API_BODY_TOO_LARGE: 'The request body is larger than the API accepts; apply fewer documents per request.',
  KEDGE_API_INVALID:
    'The documents did not pass validation; nothing was applied. Fix the errors listed (same checks as `kedge validate`).',
  KEDGE_API_IN_USE: 'The DeviceModel is used by Devices; delete or change those Devices first.',
  KEDGE_API_INTERNAL: 'The cloud failed to answer; see its log.',
  KEDGE_API_UNAUTHORIZED:
    'The cloud API wants its token: pass --token-file FILE (or set KEDGE_API_TOKEN_FILE) with the file given to kedge cloud --api-token-file.',
});

/** HTTP status for a KedgeError code raised while answering. */
export function statusFor(code: string): number {
  if (
    code === 'KEDGE_API_NOT_FOUND' ||
    code.endsWith('_UNKNOWN_DEVICE') ||
    code.endsWith('_NOT_FOUND') ||
    code.endsWith('_NO_POD') ||
    code.endsWith('_NO_CONTAINER')
  )
    return 404;
  if (code === 'KEDGE_EDGED_NO_ENGINE' || code === 'KEDGE_EDGED_ENGINE_UNREACHABLE') return 503;
  if (code === 'KEDGE_API_IN_USE' || code.endsWith('_CONFLICT') || code.endsWith('_EXISTS')) return 409;
  if (code === 'KEDGE_API_BODY_TOO_LARGE') return 413;
  if (code === 'KEDGE_API_UNAUTHORIZED') return 401;
  if (
    code === 'KEDGE_API_BAD_REQUEST' ||
    code === 'KEDGE_API_INVALID' ||
    code.endsWith('_BAD_DESIRED') ||
    code.endsWith('_INVALID')
  )
    return 400;
  if (code === 'KEDGE_BUS_TIMEOUT' || code === 'KEDGE_CLOUDHUB_CALL_TIMEOUT') return 504;
  if (code === 'KEDGE_CLOUDHUB_NOT_CONNECTED') return 503;
  if (code === 'KEDGE_CLOUDHUB_LINK_LOST' || code === 'KEDGE_CLOUDHUB_MALFORMED_FRAME') return 502;
  if (code === 'KEDGE_CLOUDHUB_TOO_MANY_CALLS') return 429;
  if (code === 'KEDGE_CLOUDHUB_CALL_TOO_LARGE') return 413;
  return 500;
}

import { Type, type Static } from '@sinclair/typebox';
import { defineErrors, isKedgeError, toKedgeError } from '../core/errors/index.js';

/**
 * The codes the HTTP APIs (the cloud's and the edge's, docs/api.md) answer with themselves, each
 * with its status; errors of the modules behind them keep their own codes and statuses. One
 * catalogue for both APIs: a client sees the same code for the same mistake on either.
 */
export const apiErrors = defineErrors({
  KEDGE_API_LISTEN: 'The HTTP API could not listen; check its port is free (--api-port; another kedge?).',
  KEDGE_API_INSECURE:
    'The HTTP API applies devices, writes desired values and calls servers on the nodes: beyond 127.0.0.1 it needs --api-token-file FILE. Keep --api-host 127.0.0.1, give a token, or pass --insecure-api to accept the risk.',
  KEDGE_API_NOT_FOUND: {
    status: 404,
    hint: 'No such path or object; see docs/api.md for the paths, `kedge get devices` for the objects.',
  },
  KEDGE_API_BAD_REQUEST: { status: 400, hint: 'The request is not what this path expects; see docs/api.md.' },
  KEDGE_API_BAD_JSON: { status: 400, hint: 'Send a JSON body (Content-Type: application/json).' },
  KEDGE_API_BODY_TOO_LARGE: {
    status: 413,
    hint: 'The request body is larger than the API accepts; apply fewer documents per request.',
  },
  KEDGE_API_INVALID: {
    status: 400,
    hint: 'The documents did not pass validation; nothing was applied. Fix the errors listed (same checks as `kedge validate`).',
  },
  KEDGE_API_IN_USE: {
    status: 409,
    hint: 'Something still uses it (named above): delete or change the Devices that use it, or stop the node, first.',
  },
  KEDGE_API_INTERNAL: 'The API failed to answer; see the log of the process that serves it.',
  KEDGE_API_UNAUTHORIZED: {
    status: 401,
    hint: 'The API wants its token: pass --token-file FILE (or set KEDGE_API_TOKEN_FILE) with the file given to kedge cloud (or kedge edge) --api-token-file.',
  },
  KEDGE_API_FORBIDDEN: {
    status: 403,
    hint: 'The token is valid but allows less (the read-only token reads, the metrics token scrapes /metrics): use the admin token (kedge cloud --api-token-file).',
  },
  KEDGE_API_OPEN_WITHOUT_TOKEN:
    "The edge's local API writes to devices: on an address other than loopback it needs a token. Give kedge edge --api-token-file FILE (e.g. `openssl rand -hex 32 > FILE`), or keep --api-host 127.0.0.1.",
});

/** The body every HTTP endpoint of kedge answers an error with (the cloud and edge APIs, ServiceBus). */
export const ApiErrorBodySchema = Type.Object({
  error: Type.Object({
    code: Type.String({ minLength: 1 }),
    message: Type.String(),
    hint: Type.Optional(Type.String()),
    detail: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  }),
});
export type ApiErrorBody = Static<typeof ApiErrorBodySchema>;

/** The error body for anything thrown while answering (not a KedgeError: KEDGE_API_INTERNAL). */
export function apiErrorBody(err: unknown): ApiErrorBody {
  const e = isKedgeError(err) ? err : toKedgeError(err, 'KEDGE_API_INTERNAL');
  return {
    error: {
      code: e.code,
      message: e.message,
      hint: e.hint ?? apiErrors.hints.KEDGE_API_INTERNAL,
      ...(e.detail ? { detail: e.detail } : {}),
    },
  };
}

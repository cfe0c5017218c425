import type { IncomingMessage, ServerResponse } from 'node:http';
import { httpStatusOf } from '../core/errors/index.js';
import { apiErrorBody, apiErrors } from './api-errors.js';

/**
 * How the cloud's and the edge's HTTP APIs read requests and answer (docs/api.md): JSON bodies up
 * to a limit, JSON answers, and errors as `apiErrorBody` with the error's own status.
 */

/** Reads a JSON body up to `limit` bytes; an empty body is `{}`. */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit)
    throw apiErrors.create(
      'KEDGE_API_BODY_TOO_LARGE',
      `request body of ${declared} bytes is above the limit of ${limit} bytes`,
    );
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit)
      throw apiErrors.create('KEDGE_API_BODY_TOO_LARGE', `request body is above the limit of ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (err) {
    throw apiErrors.create('KEDGE_API_BAD_JSON', `request body is not JSON: ${(err as Error).message}`);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res
    .writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
    .end(text);
}

export function sendText(res: ServerResponse, status: number, text: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) }).end(text);
}

/** `{ error: { code, message, hint } }` with the status its code maps to. */
export function sendError(res: ServerResponse, err: unknown): number {
  const status = httpStatusOf(err);
  if (!res.headersSent) sendJson(res, status, apiErrorBody(err));
  else res.end();
  return status;
}

import type { KedgeError } from '../errors/index.js';
import { messageErrors } from './errors.js';
import type { Message, MessageHeader, MessageRoute } from './types.js';

export type ParseResult = { ok: true; message: Message } | { ok: false; error: KedgeError };

const headerStrings = ['msg_id', 'parent_msg_id', 'resourceversion', 'type'] as const;
const routeStrings = ['source', 'destination', 'group', 'operation', 'resource'] as const;

/**
 * Parses one message from a WebSocket frame or a stored row. Never throws: malformed input comes
 * back as `{ ok: false, error }` with a message that names the offending field, so a caller's
 * read loop can count it and carry on.
 */
export function parseMessage(raw: string | Buffer | Uint8Array): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(typeof raw === 'string' ? raw : utf8(raw));
  } catch (err) {
    return fail(`not JSON (${(err as Error).message})`);
  }
  return checkMessage(value);
}

/** Decodes without copying: `Buffer.from(uint8array)` copies the whole frame first. */
function utf8(raw: Buffer | Uint8Array): string {
  return (Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)).toString('utf8');
}

/** Checks an already-decoded value against the envelope's shape. */
export function checkMessage(value: unknown): ParseResult {
  if (!isObject(value)) return fail('the message is not a JSON object');
  const { header, route } = value;
  if (!isObject(header)) return fail('field "header" is missing or not an object');
  if (!isObject(route)) return fail('field "route" is missing or not an object');
  if (typeof header.msg_id !== 'string' || header.msg_id === '')
    return fail('field "header.msg_id" must be a non-empty string');
  if (typeof header.timestamp !== 'number' || !Number.isFinite(header.timestamp)) {
    return fail('field "header.timestamp" must be a number (milliseconds)');
  }
  for (const key of headerStrings) {
    if (header[key] !== undefined && typeof header[key] !== 'string')
      return fail(`field "header.${key}" must be a string`);
  }
  if (header.sync !== undefined && typeof header.sync !== 'boolean')
    return fail('field "header.sync" must be a boolean');
  for (const key of routeStrings) {
    if (route[key] !== undefined && typeof route[key] !== 'string')
      return fail(`field "route.${key}" must be a string`);
  }
  if (!('content' in value)) return fail('field "content" is missing');
  return {
    ok: true,
    message: {
      ...value,
      header: header as unknown as MessageHeader,
      route: route as MessageRoute,
      content: value.content,
    },
  };
}

export function serializeMessage(message: Message): string {
  return JSON.stringify(message);
}

function fail(reason: string): ParseResult {
  return { ok: false, error: messageErrors.create('KEDGE_MESSAGE_MALFORMED', `malformed message: ${reason}`) };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

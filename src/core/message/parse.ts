import type { KedgeError } from '../errors/index.js';
import { messageErrors } from './errors.js';
import { checker } from '../schema/index.js';
import { type Message, MessageSchema } from './types.js';

export type ParseResult = { ok: true; message: Message } | { ok: false; error: KedgeError };

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

const checkEnvelope = checker(MessageSchema);

/** Checks an already-decoded value against the envelope's schema. */
export function checkMessage(value: unknown): ParseResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return fail('the message is not a JSON object');
  // Unknown stays optional in TypeBox; a message without content is malformed all the same.
  if (!('content' in value)) return fail('field /content is missing');
  const checked = checkEnvelope(value);
  return checked.ok ? { ok: true, message: checked.value as Message } : fail(checked.reason);
}

export function serializeMessage(message: Message): string {
  return JSON.stringify(message);
}

function fail(reason: string): ParseResult {
  return { ok: false, error: messageErrors.create('KEDGE_MESSAGE_MALFORMED', `malformed message: ${reason}`) };
}

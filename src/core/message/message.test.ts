import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  buildResource,
  buildResponse,
  newMessage,
  parseMessage,
  parseResource,
  serializeMessage,
  Operation,
} from './index.js';

const fixtures: unknown[] = JSON.parse(
  readFileSync(new URL('./fixtures/kubeedge-messages.json', import.meta.url), 'utf8'),
);

describe('beehive message', () => {
  it.each(fixtures.map((f, i) => [i, f] as const))('KubeEdge fixture %i round-trips identically', (_i, fixture) => {
    const text = JSON.stringify(fixture);
    const parsed = parseMessage(text);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(JSON.parse(serializeMessage(parsed.message))).toEqual(fixture);
    expect(serializeMessage(parsed.message)).toBe(text);
  });

  it('parses a frame given as a Buffer or as a Uint8Array view into a larger buffer', () => {
    const text = JSON.stringify(fixtures[0]);
    const framed = Buffer.concat([Buffer.from('xx'), Buffer.from(text), Buffer.from('yy')]);
    const view = new Uint8Array(framed.buffer, framed.byteOffset + 2, Buffer.byteLength(text));
    for (const raw of [Buffer.from(text), view]) {
      const parsed = parseMessage(raw);
      expect(parsed.ok && serializeMessage(parsed.message)).toBe(text);
    }
  });

  it('builds a response the way KubeEdge does', () => {
    const req = newMessage(
      { source: 'edgecontroller', group: 'resource', operation: 'query', resource: 'default/device/a' },
      null,
      { sync: true },
    );
    const res = buildResponse(req, 'metamanager', { ok: true }, 5);
    expect(res.header.parent_msg_id).toBe(req.header.msg_id);
    expect(res.header.msg_id).not.toBe(req.header.msg_id);
    expect(res.header.timestamp).toBe(5);
    expect(res.route).toEqual({
      source: 'metamanager',
      group: 'resource',
      operation: Operation.response,
      resource: 'default/device/a',
    });
  });

  it.each([
    ['not json', '{', 'not JSON'],
    ['array', '[]', 'not a JSON object'],
    ['no header', '{"route":{},"content":1}', 'field /header: Expected required property'],
    ['no route', '{"header":{"msg_id":"a","timestamp":1},"content":1}', 'field /route'],
    ['empty id', '{"header":{"msg_id":"","timestamp":1},"route":{},"content":1}', 'field /header/msg_id'],
    ['string timestamp', '{"header":{"msg_id":"a","timestamp":"1"},"route":{},"content":1}', 'field /header/timestamp'],
    [
      'numeric operation',
      '{"header":{"msg_id":"a","timestamp":1},"route":{"operation":3},"content":1}',
      'field /route/operation',
    ],
    [
      'sync as string',
      '{"header":{"msg_id":"a","timestamp":1,"sync":"yes"},"route":{},"content":1}',
      'field /header/sync',
    ],
    ['no content', '{"header":{"msg_id":"a","timestamp":1},"route":{}}', 'field /content is missing'],
  ])('rejects %s with a clear error', (_name, raw, fragment) => {
    const parsed = parseMessage(raw);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error.code).toBe('KEDGE_MESSAGE_MALFORMED');
    expect(parsed.error.message).toContain(fragment);
  });

  it('parses binary garbage without throwing', () => {
    const parsed = parseMessage(Buffer.from([0xff, 0x00, 0xfe, 0x7b]));
    expect(parsed.ok).toBe(false);
  });

  it('splits resources with and without the cloud node prefix', () => {
    expect(parseResource('node/edge-1/default/device/thermo-1')).toEqual({
      node: 'edge-1',
      namespace: 'default',
      type: 'device',
      name: 'thermo-1',
    });
    expect(parseResource(buildResource('default', 'pod', 'nginx'))).toEqual({
      namespace: 'default',
      type: 'pod',
      name: 'nginx',
    });
    expect(parseResource('default/membership')).toEqual({ namespace: 'default', type: 'membership' });
    expect(parseResource('lonely')).toBeUndefined();
  });
});

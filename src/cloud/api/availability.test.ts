import { describe, expect, it } from 'vitest';
import type { NodeView } from '../../contracts/index.js';
import type { StoredObject } from '../store/index.js';
import { withAvailability } from './availability.js';

const device = (name: string, nodeName?: string, status?: Record<string, unknown>): StoredObject => ({
  apiVersion: 'devices.kubeedge.io/v1beta1',
  kind: 'Device',
  metadata: { name, namespace: 'default' },
  spec: { deviceModelRef: { name: 'm' }, ...(nodeName ? { nodeName } : {}) },
  ...(status ? { status } : {}),
});
const node = (name: string, ready: boolean, reason?: string): NodeView => ({
  name,
  ready,
  lastHeartbeat: null,
  mappers: [],
  ...(reason ? { reason } : {}),
});

describe('withAvailability', () => {
  it('shows devices of a node that is not ready (or never connected) unknown with the reason, others as stored', () => {
    const online = { state: 'online', twins: [{ propertyName: 'temp' }] };
    const out = withAvailability(
      [device('a', 'up', online), device('b', 'down', online), device('c', 'nowhere'), device('d')],
      [node('up', true), node('down', false, 'keepalive timeout')],
    );
    expect(out.map((d) => d.status)).toEqual([
      online,
      { ...online, state: 'unknown', reason: 'node down is not ready: keepalive timeout' },
      { state: 'unknown', reason: 'node nowhere is not ready: it has never connected' },
      undefined,
    ]);
  });
});

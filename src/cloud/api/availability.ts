import type { NodeView } from '../../contracts/index.js';
import { notReady } from '../devicecontroller/index.js';
import type { StoredObject } from '../store/index.js';

/**
 * Devices as `kedge/status/device/...` shows them: a device whose node is not ready is `unknown`,
 * with the node's reason, whatever its stored status last said (the edge's word on it may no
 * longer hold). Read-time, so nothing is written when a node comes and goes.
 */
export function withAvailability(devices: StoredObject[], nodes: readonly NodeView[]): StoredObject[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  return devices.map((d) => {
    const nodeName = (d.spec as { nodeName?: unknown } | undefined)?.nodeName;
    if (typeof nodeName !== 'string' || nodeName === '') return d;
    const node = byName.get(nodeName);
    if (node?.ready) return d;
    const reason = notReady(nodeName, node ? (node.reason ?? 'not connected') : 'it has never connected');
    return { ...d, status: { ...(d.status as Record<string, unknown> | undefined), state: 'unknown', reason } };
  });
}

import { Counter, type Registry } from 'prom-client';
import type { StoredObject } from '../store/index.js';
import { nodeOf } from '../objectsync/index.js';

/**
 * A node speaks only for the devices bound to it (`spec.nodeName`): telemetry, twin reports and
 * device state about another node's device (or a device bound to none) are refused. The node is
 * the one the link authenticated (its certificate on the secure link), never a name in the message.
 * Undefined when the node may report on the device, else why not.
 */
export function notOwnedReason(device: StoredObject, node: string, key: string): string | undefined {
  const owner = nodeOf(device);
  if (owner === node) return undefined;
  return owner === undefined
    ? `Device ${key} is bound to no node; node ${node} may not report on it`
    : `Device ${key} is bound to node ${owner}; node ${node} may not report on it`;
}

export function unauthorizedCounter(registry: Registry): Counter<'resource'> {
  return new Counter({
    name: 'kedge_devicecontroller_unauthorized_total',
    help: "Edge messages (per device) refused because the device is bound to another node than the sender's",
    labelNames: ['resource'],
    registers: [registry],
  });
}

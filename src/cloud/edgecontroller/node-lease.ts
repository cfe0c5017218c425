import { microTime } from '../coordination/index.js';
import type { ObjectStore, StoredObject } from '../store/index.js';

/**
 * A node's heartbeat as Kubernetes keeps it: a coordination.k8s.io/v1 Lease named after the
 * node in kube-node-lease, renewed while the link is up (as the kubelet does, every 10 s by
 * default, for a 40 s duration), owned by the Node so that it goes when the Node goes. The
 * node lifecycle controller of a real cluster reads it; kedge itself goes by the link.
 */
export const LEASE_NAMESPACE = 'kube-node-lease';
export const LEASE_DURATION_SECONDS = 40;
const RETRIES = 3;

export { microTime } from '../coordination/index.js';

export class NodeLeases {
  private readonly leases = new Map<string, StoredObject>();

  constructor(private readonly store: ObjectStore) {}

  /** Renews (or creates) the lease of `node` at `now`; `owner` is the Node (for its uid). */
  async renew(node: string, now: number, owner: StoredObject | undefined): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const current = this.leases.get(node) ?? (await this.store.get('Lease', LEASE_NAMESPACE, node));
      try {
        const written = current
          ? await this.store.update(this.renewed(current, node, now))
          : await this.store.create(this.created(node, now, owner));
        this.leases.set(node, written);
        return;
      } catch (err) {
        this.leases.delete(node);
        const code = (err as { code?: string }).code;
        const retry = ['KEDGE_CLOUD_STORE_CONFLICT', 'KEDGE_CLOUD_STORE_NOT_FOUND', 'KEDGE_CLOUD_STORE_EXISTS'];
        if (!retry.includes(code ?? '') || attempt >= RETRIES) throw err;
      }
    }
  }

  forget(node: string): void {
    this.leases.delete(node);
  }

  private renewed(current: StoredObject, node: string, now: number): StoredObject {
    const spec = (current.spec ?? {}) as Record<string, unknown>;
    return {
      ...current,
      spec: { ...spec, holderIdentity: node, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: microTime(now) },
    };
  }

  private created(node: string, now: number, owner: StoredObject | undefined): StoredObject {
    const uid = owner?.metadata.uid;
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: node,
        namespace: LEASE_NAMESPACE,
        ...(uid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node, uid }] } : {}),
      },
      spec: { holderIdentity: node, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: microTime(now) },
    };
  }
}

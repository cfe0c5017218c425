import { describe, expect, it } from 'vitest';
import { describeObjectStoreContract } from '../../src/cloud/store/contract.js';
import { KubernetesObjectStore } from '../../src/cloud/store/kubernetes/index.js';
import { kubeConfigFor, startTestApiServer, testKinds } from '../support/kube-apiserver/index.js';

describeObjectStoreContract('kubernetes (API server double)', async () => {
  const server = await startTestApiServer({ token: 'contract-token' });
  const store = await KubernetesObjectStore.open({
    kubeConfig: kubeConfigFor(server, 'contract-token'),
    kinds: testKinds,
  });
  return {
    store,
    dispose: async () => {
      await store.close();
      await server.stop();
    },
  };
});

/**
 * The contract suite runs on test kinds; these are the kinds kedge's cloud modules keep in the
 * store (DeviceController, EdgeController, PodController, the Lease coordination): each is served
 * by the real resource, with the status subresource where the controllers write status.
 */
describe('the Kubernetes store serves the kinds of the cloud modules', () => {
  it('Device, DeviceModel, DeviceStatus, Node, Lease and Pod; a Pod bound to a node round-trips and goes at once', async () => {
    const server = await startTestApiServer({ token: 'kinds-token-0123456789' });
    const store = await KubernetesObjectStore.open({ kubeConfig: kubeConfigFor(server, 'kinds-token-0123456789') });
    try {
      for (const kind of ['Device', 'DeviceModel', 'DeviceStatus', 'Node', 'Lease', 'Pod'])
        expect(store.serves(kind), kind).toBe(true);
      for (const kind of ['DeviceStatus', 'Node', 'Pod']) expect(store.hasStatusSubresource(kind), kind).toBe(true);
      const seen: string[] = [];
      const watch = await store.watch('Pod', (await store.list('Pod')).resourceVersion, (e) =>
        seen.push(`${e.type} ${e.object.metadata.name}`),
      );
      const pod = await store.create({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'app', namespace: 'default' },
        spec: { nodeName: 'edge-1', containers: [{ name: 'app', image: 'app:1' }] },
      });
      expect((await store.get('Pod', 'default', 'app'))?.metadata.uid).toBe(pod.metadata.uid);
      const running = await store.updateStatus('Pod', 'default', 'app', { phase: 'Running' });
      expect(running.status).toEqual({ phase: 'Running' });
      // Bound to a node, a Pod would wait for its kubelet: kedge, that kubelet, deletes with grace 0.
      expect((await store.delete('Pod', 'default', 'app'))?.metadata.uid).toBe(pod.metadata.uid);
      expect(await store.get('Pod', 'default', 'app')).toBeUndefined();
      await expect.poll(() => seen).toEqual(['ADDED app', 'MODIFIED app', 'DELETED app']);
      watch.stop();
    } finally {
      await store.close();
      await server.stop();
    }
  });
});

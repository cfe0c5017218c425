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

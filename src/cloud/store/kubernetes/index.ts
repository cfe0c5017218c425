export { KubernetesObjectStore, type KubernetesStoreOptions } from './store.js';
export { KEDGE_KINDS, type KubeKind } from './kinds.js';
export { loadKubeConfig } from './kubeconfig.js';

export { KubeApiServer, type KubeApiServerOptions, type RequestRecord } from './server.js';
export { testKinds, startTestApiServer, kubeConfigFor } from './fixtures.js';

import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { cloudStoreErrors } from '../errors.js';

/** The service account files a pod gets (client-node's in-cluster paths, under `root`). */
const TOKEN = 'var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * The credentials of `kedge cloud --store kubernetes`, in this order: `--kubeconfig FILE`, the
 * files in $KUBECONFIG (merged as kubectl does), the in-cluster service account. ~/.kube/config
 * is not read unasked: a cloud started by hand should not reach whatever cluster a workstation
 * last used.
 */
export function loadKubeConfig(options: {
  kubeconfig?: string | undefined;
  env: NodeJS.ProcessEnv;
  /** Root of the service account files (tests); `/` in a pod. */
  inClusterRoot?: string;
}): { kc: KubeConfig; source: string } {
  const kc = new KubeConfig();
  const load = (file: string, what: string, into: KubeConfig) => {
    if (!existsSync(file))
      throw cloudStoreErrors.create('KEDGE_CLOUD_STORE_KUBECONFIG', `${what}: ${file} does not exist`);
    try {
      if (into === kc) kc.loadFromFile(file);
      else {
        // As kubectl merges: the first file to name a cluster, user or context wins.
        const more = new KubeConfig();
        more.loadFromFile(file);
        for (const c of more.clusters) if (!kc.getCluster(c.name)) kc.addCluster(c);
        for (const u of more.users) if (!kc.getUser(u.name)) kc.addUser(u);
        for (const x of more.contexts) if (!kc.getContextObject(x.name)) kc.addContext(x);
      }
    } catch (err) {
      throw cloudStoreErrors.create('KEDGE_CLOUD_STORE_KUBECONFIG', `${what}: ${file}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  };
  let source: string;
  if (options.kubeconfig) {
    load(options.kubeconfig, '--kubeconfig', kc);
    source = options.kubeconfig;
  } else if (options.env.KUBECONFIG) {
    const files = options.env.KUBECONFIG.split(delimiter).filter((f) => f);
    if (files.length === 0) throw cloudStoreErrors.create('KEDGE_CLOUD_STORE_KUBECONFIG', '$KUBECONFIG names no file');
    for (const [i, f] of files.entries()) load(f, '$KUBECONFIG', i === 0 ? kc : new KubeConfig());
    source = `$KUBECONFIG (${files.join(delimiter)})`;
  } else {
    const root = options.inClusterRoot ?? '/';
    if (!options.env.KUBERNETES_SERVICE_HOST || !existsSync(join(root, TOKEN)))
      throw cloudStoreErrors.create(
        'KEDGE_CLOUD_STORE_KUBECONFIG',
        'store kubernetes needs credentials: no --kubeconfig, no $KUBECONFIG, and not in a pod (no KUBERNETES_SERVICE_HOST or service account token)',
      );
    const previous = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
    // client-node reads the service address from process.env.
    process.env.KUBERNETES_SERVICE_HOST = options.env.KUBERNETES_SERVICE_HOST;
    process.env.KUBERNETES_SERVICE_PORT = options.env.KUBERNETES_SERVICE_PORT ?? '443';
    try {
      kc.loadFromCluster(root === '/' ? '' : root.replace(/\/$/, ''));
    } finally {
      restore('KUBERNETES_SERVICE_HOST', previous.host);
      restore('KUBERNETES_SERVICE_PORT', previous.port);
    }
    source = 'the in-cluster service account';
  }
  if (!kc.getCurrentCluster()?.server)
    throw cloudStoreErrors.create(
      'KEDGE_CLOUD_STORE_KUBECONFIG',
      `${source}: the current context names no cluster server`,
    );
  return { kc, source };
}

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

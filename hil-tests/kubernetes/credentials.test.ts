import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesObjectStore, loadKubeConfig } from '../../src/cloud/store/kubernetes/index.js';
import { runKedge } from '../e2e/harness/kedge.js';
import { freePort } from '../../src/demo/ports.js';
import { tempDir } from '../e2e/harness/processes.js';
import { type KubeApiServer, startTestApiServer } from '../support/kube-apiserver/index.js';

const SA_TOKEN = 'in-cluster-serviceaccount-token-0123';

/**
 * Where `kedge cloud --store kubernetes` takes its credentials from (--kubeconfig, $KUBECONFIG,
 * the in-cluster service account, in that order) and how it says what is wrong when it cannot
 * use them: no credentials, a server that does not answer, a token it refuses, no CRDs.
 */
describe('Kubernetes credentials and start-up errors', () => {
  const dir = tempDir('kedge-k8s-creds-');
  let server: KubeApiServer;

  beforeAll(async () => {
    server = await startTestApiServer({
      token: 'credentials-admin-token-0123',
      identities: { [SA_TOKEN]: 'system:serviceaccount:kedge-system:kedge-cloud' },
    });
    const objects = server.objects;
    objects.create(objects.typeOf('v1', 'namespaces')!, '', { metadata: { name: 'kedge-system' } });
    const { parseAllDocuments } = await import('yaml');
    const rbac = readFileSync(new URL('../../deploy/kubernetes/02-rbac.yaml', import.meta.url), 'utf8');
    for (const doc of parseAllDocuments(rbac)) {
      const o = doc.toJS() as { apiVersion: string; kind: string; metadata: { namespace?: string } };
      const plural = {
        ServiceAccount: 'serviceaccounts',
        ClusterRole: 'clusterroles',
        ClusterRoleBinding: 'clusterrolebindings',
        Role: 'roles',
        RoleBinding: 'rolebindings',
      }[o.kind]!;
      objects.create(objects.typeOf(o.apiVersion, plural)!, o.metadata.namespace ?? '', o);
    }
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    dir.remove();
  });

  it('in a pod: the service account token, CA and the service address, with the RBAC of deploy/kubernetes', async () => {
    const sa = join(dir.path, 'pod', 'var/run/secrets/kubernetes.io/serviceaccount');
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, 'token'), SA_TOKEN);
    writeFileSync(join(sa, 'ca.crt'), Buffer.from(server.caData, 'base64'));
    writeFileSync(join(sa, 'namespace'), 'kedge-system');
    const port = new URL(server.url).port;
    const { kc, source } = loadKubeConfig({
      env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port },
      inClusterRoot: join(dir.path, 'pod'),
    });
    expect(source).toBe('the in-cluster service account');
    expect(kc.getCurrentCluster()!.server).toBe(`https://127.0.0.1:${port}`);
    const store = await KubernetesObjectStore.open({ kubeConfig: kc });
    try {
      expect((await store.list('Device')).items).toEqual([]);
      expect(server.requests.at(-1)).toMatchObject({
        user: 'system:serviceaccount:kedge-system:kedge-cloud',
        status: 200,
      });
      // The RBAC grants no secrets: the store is refused, and says why.
      await expect(store.list('Lease')).rejects.toMatchObject({ code: 'KEDGE_CLOUD_STORE_KUBE_DENIED' });
    } finally {
      await store.close();
    }
  });

  it('--kubeconfig before $KUBECONFIG; $KUBECONFIG may name several files (merged, the first one chooses)', () => {
    const a = join(dir.path, 'a.kubeconfig');
    const b = join(dir.path, 'b.kubeconfig');
    server.writeKubeconfig(a);
    writeFileSync(
      b,
      readFileSync(a, 'utf8')
        .replace(/double/g, 'other')
        .replace(server.url, 'https://127.0.0.1:1'),
    );
    expect(loadKubeConfig({ kubeconfig: b, env: { KUBECONFIG: a } }).kc.getCurrentCluster()!.server).toBe(
      'https://127.0.0.1:1',
    );
    const merged = loadKubeConfig({ env: { KUBECONFIG: `${a}:${b}` } });
    expect(merged.kc.getCurrentCluster()!.server).toBe(server.url);
    expect(
      merged.kc
        .getContexts()
        .map((c) => c.name)
        .sort(),
    ).toEqual(['double', 'other']);
  });

  it.each([
    [{ env: {} }, 'no --kubeconfig, no $KUBECONFIG, and not in a pod'],
    [{ kubeconfig: '/nonexistent/kubeconfig', env: {} }, '--kubeconfig: /nonexistent/kubeconfig does not exist'],
    [{ env: { KUBECONFIG: '/nonexistent/a' } }, '$KUBECONFIG: /nonexistent/a does not exist'],
  ])('refuses to guess: %j', (options, message) => {
    expect(() => loadKubeConfig(options)).toThrow(message);
  });

  it('kedge cloud says what is wrong and exits: no credentials, a server that does not answer, a refused token, no CRDs', async () => {
    const ports = [await freePort(), await freePort(), await freePort()].map(String);
    const cloud = (env: Record<string, string>, ...args: string[]) =>
      runKedge(
        [
          'cloud',
          '--store',
          'kubernetes',
          '--data-dir',
          join(dir.path, 'cloud'),
          '--hub-port',
          ports[0]!,
          '--api-port',
          ports[1]!,
          '--mqtt-port',
          ports[2]!,
          ...args,
        ],
        {
          env: { KUBECONFIG: '', KUBERNETES_SERVICE_HOST: '', ...env },
          timeoutMs: 60_000,
        },
      );
    const none = await cloud({});
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('KEDGE_CLOUD_STORE_KUBECONFIG');
    const good = join(dir.path, 'good.kubeconfig');
    server.writeKubeconfig(good);
    const unreachable = join(dir.path, 'unreachable.kubeconfig');
    writeFileSync(unreachable, readFileSync(good, 'utf8').replace(server.url, 'https://127.0.0.1:1'));
    const down = await cloud({}, '--kubeconfig', unreachable);
    expect(down.stderr).toContain('KEDGE_CLOUD_STORE_KUBE_UNREACHABLE');
    expect(down.stderr).toContain('https://127.0.0.1:1');
    const refused = join(dir.path, 'refused.kubeconfig');
    server.writeKubeconfig(refused, 'not-a-token-of-this-cluster');
    expect((await cloud({}, '--kubeconfig', refused)).stderr).toContain('KEDGE_CLOUD_STORE_KUBE_DENIED');
    const bare = await startTestApiServer({ crds: false, token: 'bare-admin-token-0123456789' });
    try {
      const noCrds = join(dir.path, 'bare.kubeconfig');
      bare.writeKubeconfig(noCrds);
      const r = await cloud({}, '--kubeconfig', noCrds);
      expect(r.stderr).toContain('KEDGE_CLOUD_STORE_KUBE_NO_CRDS');
      expect(r.stderr).toContain('kubectl apply -f deploy/crds/');
    } finally {
      await bare.stop();
    }
  });
});

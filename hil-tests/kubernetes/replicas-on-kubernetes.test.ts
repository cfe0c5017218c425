import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/core/paths/index.js';
import { freePort } from '../../src/demo/ports.js';
import { spawnKedge } from '../e2e/harness/kedge.js';
import { edgeSetup, httpOk, KedgeProcess, startEdge, tempDir, waitFor } from '../e2e/harness/processes.js';
import { type KubeApiServer, startTestApiServer } from '../support/kube-apiserver/index.js';
import { kubectlFor } from '../support/kube-tools.js';

/**
 * Two `kedge cloud --store kubernetes` processes against the API server double, as
 * deploy/kubernetes's ServiceAccount with its RBAC enforced: they elect a leader with the Lease
 * kedge-cloud-leader and claim the edge with a Lease, all in kedge-system, as kubectl shows. The
 * replica that holds the edge and leads is killed (kill -9): the edge moves to the other
 * replica, which claims it, takes the leader Lease once it ran out (15 s, client-go's default)
 * and keeps the Node Ready.
 */
const ADMIN = 'kedge-replicas-admin-token-0123456789';
const SA_TOKEN = 'kedge-replicas-serviceaccount-token-0123';
const SA = 'system:serviceaccount:kedge-system:kedge-cloud';
const NODE = 'line-7';

describe('cloud replicas on Kubernetes (API server double, real kubectl, real edge)', () => {
  const dir = tempDir('kedge-k8s-replicas-');
  const root = packageRoot();
  let server: KubeApiServer;
  let kubectl: (args: string[]) => Promise<string>;
  const replicas = new Map<string, { proc: KedgeProcess; hub: number }>();
  let edge: KedgeProcess;
  const procs = () => [...[...replicas.values()].map((r) => r.proc), ...(edge ? [edge] : [])];
  const holderOf = (lease: string) =>
    kubectl(['get', 'lease', lease, '-n', 'kedge-system', '-o', 'jsonpath={.spec.holderIdentity}']).catch(() => '');
  const ready = async () =>
    (
      await kubectl(['get', 'node', NODE, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']).catch(
        () => '',
      )
    ).trim();

  /** The lab link's shared token, one file for both replicas and the edge. */
  function tokenFile(): string {
    const file = join(dir.path, 'link-token');
    if (!existsSync(file)) writeFileSync(file, 'replicas-link-token-0123456789\n', { mode: 0o600 });
    return file;
  }

  async function startReplica(id: string, kubeconfig: string): Promise<void> {
    const hub = await freePort();
    const api = await freePort();
    const proc = new KedgeProcess(
      `cloud ${id}`,
      spawnKedge([
        'cloud',
        '--store',
        'kubernetes',
        '--kubeconfig',
        kubeconfig,
        // In a pod: the pod's namespace, from its service account.
        '--kube-namespace',
        'kedge-system',
        '--replica-id',
        id,
        '--data-dir',
        join(dir.path, id),
        '--hub-host',
        '127.0.0.1',
        '--hub-port',
        `${hub}`,
        '--api-port',
        `${api}`,
        '--mqtt-port',
        `${await freePort()}`,
        // The lab link with its shared token (the node proves who it is, so it registers), as the
        // etcd replicas' e2e: the certificates' side is tested on its own.
        '--insecure-link',
        '--token-file',
        tokenFile(),
      ]),
    );
    replicas.set(id, { proc, hub });
    await waitFor(() => httpOk(`http://127.0.0.1:${api}/healthz`), `cloud replica ${id}`, 60_000, [proc]);
  }

  beforeAll(async () => {
    server = await startTestApiServer({ token: ADMIN, identities: { [SA_TOKEN]: SA }, crds: false });
    const admin = join(dir.path, 'admin.kubeconfig');
    server.writeKubeconfig(admin);
    kubectl = kubectlFor(admin, join(dir.path, 'kube-cache'));
    await kubectl(['apply', '-f', join(root, 'deploy/crds/')]);
    await kubectl(['apply', '-f', join(root, 'deploy/kubernetes/')]);
    const kubeconfig = join(dir.path, 'cloud.kubeconfig');
    server.writeKubeconfig(kubeconfig, SA_TOKEN);
    await startReplica('cloud-a', kubeconfig);
    await startReplica('cloud-b', kubeconfig);
  }, 180_000);

  afterAll(async () => {
    await edge?.stop();
    for (const r of replicas.values()) await r.proc.stop();
    await server?.stop();
    dir.remove();
  });

  it('the first replica leads; the edge is claimed by the replica it connected to and is Ready', async () => {
    expect(await holderOf('kedge-cloud-leader')).toBe('cloud-a');
    const urls = ['cloud-a', 'cloud-b'].map((id) => `ws://127.0.0.1:${replicas.get(id)!.hub}`).join(',');
    edge = await startEdge(await edgeSetup(NODE, join(dir.path, 'edge'), urls, 'none'), {
      KEDGE_EDGE__CLOUD_TOKEN_FILE: tokenFile(),
    });
    await waitFor(async () => (await ready()) === 'True', `Node ${NODE} Ready`, 60_000, procs());
    expect(await holderOf(`kedge-claim-${NODE}`)).toBe('cloud-a');
    const replicaLeases = await kubectl([
      'get',
      'leases',
      '-n',
      'kedge-system',
      '-l',
      'kedge.io/role=replica',
      '-o',
      'jsonpath={.items[*].spec.holderIdentity}',
    ]);
    expect(replicaLeases.split(' ').sort()).toEqual(['cloud-a', 'cloud-b']);
  });

  it('kill -9 of the replica that leads and holds the edge: the edge moves, the other replica claims it, leads after the lease ran out, and the Node stays Ready', async () => {
    const killed = Date.now();
    await replicas.get('cloud-a')!.proc.stop('SIGKILL');
    replicas.delete('cloud-a');
    await waitFor(
      async () => (await holderOf(`kedge-claim-${NODE}`)) === 'cloud-b',
      'cloud-b to claim the edge',
      60_000,
      procs(),
    );
    await waitFor(
      async () => (await holderOf('kedge-cloud-leader')) === 'cloud-b',
      'cloud-b to take the leader Lease',
      90_000,
      procs(),
    );
    // Not before the killed leader's lease could have run out on cloud-b's clock.
    expect(Date.now() - killed).toBeGreaterThanOrEqual(15_000 - 2_000);
    expect(
      await kubectl([
        'get',
        'lease',
        'kedge-cloud-leader',
        '-n',
        'kedge-system',
        '-o',
        'jsonpath={.spec.leaseTransitions}',
      ]),
    ).toBe('1');
    // The new leader's sweep leaves the node alone: cloud-b holds it.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await ready()).toBe('True');
    const forbidden = server.requests.filter((r) => r.user === SA && r.status === 403);
    expect(forbidden.map((r) => `${r.method} ${r.path}`)).toEqual([]);
  }, 180_000);
});

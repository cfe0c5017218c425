import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LeaseLeaderElection } from '../../src/cloud/leader/index.js';
import { LeasePresence } from '../../src/cloud/presence/index.js';
import type { ObjectStore } from '../../src/cloud/store/index.js';
import { KubernetesObjectStore } from '../../src/cloud/store/kubernetes/index.js';
import { silentLogger } from '../../src/core/log/index.js';
import { tempDir } from '../e2e/harness/processes.js';
import { type KubeApiServer, kubeConfigFor, startTestApiServer } from '../support/kube-apiserver/index.js';
import { kubectlFor } from '../support/kube-tools.js';

/**
 * Leader election and node claims on coordination.k8s.io/v1 Leases against the API server
 * double, each candidate with a client of its own, as kedge cloud runs them; kubectl reads and
 * writes the same Leases. Short durations (1.5 s lease, 1 s renew deadline) keep it quick; the
 * rules are the same as with the defaults (15 s, 10 s).
 */
const NS = 'kedge-system';
const TOKEN = 'lease-test-admin-token-0123';
let server: KubeApiServer;
let kubectl: (args: string[]) => Promise<string>;
const dir = tempDir('kedge-leases-');
const cleanups: Array<() => Promise<void>> = [];

const open = async () => ({
  store: (await KubernetesObjectStore.open({
    kubeConfig: kubeConfigFor(server, TOKEN),
    required: ['Lease'],
  })) as ObjectStore,
  namespace: NS,
});
const close = (s: ObjectStore) => s.close();
const timing = { leaseDurationMs: 1_500, renewDeadlineMs: 1_000 };

function candidate(identity: string): LeaseLeaderElection {
  const e = new LeaseLeaderElection({ open, close, identity, logger: silentLogger(), retryPeriodMs: 100, ...timing });
  cleanups.push(() => e.stop());
  return e;
}

function replica(identity: string): LeasePresence {
  const p = new LeasePresence({
    open,
    close,
    identity,
    logger: silentLogger(),
    renewPeriodMs: 100,
    pollMs: 100,
    ...timing,
  });
  cleanups.push(() => p.stop());
  return p;
}

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const leaseField = (name: string, path: string) =>
  kubectl(['get', 'lease', name, '-n', NS, '-o', `jsonpath={${path}}`]);

beforeEach(async () => {
  server = await startTestApiServer({ token: TOKEN });
  server.objects.create(server.objects.typeOf('v1', 'namespaces')!, '', { metadata: { name: NS } });
  const kubeconfig = join(dir.path, 'kubeconfig');
  server.writeKubeconfig(kubeconfig);
  kubectl = kubectlFor(kubeconfig, join(dir.path, 'cache'));
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await server?.stop();
});

describe('Lease coordination against the API server double, read and written with kubectl', () => {
  it('one candidate leads; kubectl sees it hold the Lease; on stop the other takes over', async () => {
    const a = candidate('replica-a');
    const b = candidate('replica-b');
    await a.start();
    await b.start();
    expect([a.leading, b.leading]).toEqual([true, false]);
    expect(await leaseField('kedge-cloud-leader', '.spec.holderIdentity')).toBe('replica-a');
    expect(await leaseField('kedge-cloud-leader', '.spec.leaseDurationSeconds')).toBe('2');
    const renewed = await leaseField('kedge-cloud-leader', '.spec.renewTime');
    expect(renewed).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    await until(async () => (await leaseField('kedge-cloud-leader', '.spec.renewTime')) !== renewed, 'a renewal');
    await a.stop();
    await until(() => b.leading, 'b to take the released lease');
    expect(await leaseField('kedge-cloud-leader', '.spec.holderIdentity')).toBe('replica-b');
    expect(await leaseField('kedge-cloud-leader', '.spec.leaseTransitions')).toBe('1');
  });

  it('a Lease taken away with kubectl patch makes the leader step down; the taker never renews, so a candidate leads again after the duration', async () => {
    const a = candidate('replica-a');
    const b = candidate('replica-b');
    await a.start();
    await b.start();
    let both = 0;
    const sampler = setInterval(() => {
      if (a.leading && b.leading) both++;
    }, 5);
    await kubectl([
      'patch',
      'lease',
      'kedge-cloud-leader',
      '-n',
      NS,
      '--type',
      'merge',
      '-p',
      '{"spec":{"holderIdentity":"operator"}}',
    ]);
    await until(() => !a.leading, 'a to step down');
    expect(a.leader).toBe('operator');
    expect(b.leading).toBe(false);
    await until(() => a.leading || b.leading, 'a candidate to lead again after the lease ran out');
    clearInterval(sampler);
    expect(both).toBe(0);
    expect(['replica-a', 'replica-b']).toContain(await leaseField('kedge-cloud-leader', '.spec.holderIdentity'));
    // The API server refused none of the writes as malformed: every time is a MicroTime.
    expect(server.requests.filter((r) => r.path.includes('/leases') && r.status === 422)).toEqual([]);
  });

  it('node claims are Leases kubectl selects by label; a replica that stops renewing loses them after the duration', async () => {
    const r1 = replica('r1');
    const r2 = replica('r2');
    await r1.start();
    await r2.start();
    await r1.claim('edge-1');
    await r2.claim('edge-2');
    const holders = await kubectl([
      'get',
      'leases',
      '-n',
      NS,
      '-l',
      'kedge.io/role=claim',
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}={.spec.holderIdentity}{"\\n"}{end}',
    ]);
    expect(holders.trim().split('\n').sort()).toEqual(['kedge-claim-edge-1=r1', 'kedge-claim-edge-2=r2']);
    const events: Array<[string, string | undefined]> = [];
    const watch = await r2.watch((node, holder) => events.push([node, holder]));
    cleanups.push(async () => watch.stop());
    // r1 can no longer renew: the API server answers its Lease's updates with 503 from now on.
    server.failNext('PUT', /\/leases\/kedge-replica-r1$/, 503, Number.MAX_SAFE_INTEGER);
    await until(() => !r1.healthy, 'r1 to turn unhealthy at the renew deadline');
    await until(() => events.some(([n, h]) => n === 'edge-1' && h === undefined), "edge-1's claim to lapse");
    expect(await r2.holderOf('edge-1')).toBeUndefined();
    expect(await r2.holderOf('edge-2')).toBe('r2');
    // The Lease object is still there, naming r1: it is r1's replica Lease that ran out.
    expect(await leaseField('kedge-claim-edge-1', '.spec.holderIdentity')).toBe('r1');
    await r2.claim('edge-1');
    expect(await r1.holderOf('edge-1').catch(() => 'unreadable')).not.toBe('r1');
    expect(await leaseField('kedge-claim-edge-1', '.spec.leaseTransitions')).toBe('1');
  });
});

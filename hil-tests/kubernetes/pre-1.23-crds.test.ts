import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { DeviceController } from '../../src/cloud/devicecontroller/index.js';
import { SqliteLinkState, SqliteObjectStore } from '../../src/cloud/store/index.js';
import { KubernetesObjectStore } from '../../src/cloud/store/kubernetes/index.js';
import type { CloudChannels, CloudRequests, DownstreamItem } from '../../src/contracts/index.js';
import { Bus } from '../../src/core/bus/index.js';
import { silentLogger } from '../../src/core/log/index.js';
import { newMessage } from '../../src/core/message/index.js';
import { createMetricsRegistry } from '../../src/core/metrics/index.js';
import { KubeApiServer, kubeConfigFor } from '../support/kube-apiserver/index.js';

const ADMIN = 'kubeedge-crds-admin-token-0123';
const SA_TOKEN = 'kubeedge-crds-serviceaccount-0123';
const SA = 'system:serviceaccount:kedge-system:kedge-cloud';

/**
 * A cluster with KubeEdge's own CRDs, which never had a status subresource: before v1.23 without
 * DeviceStatus (the twin goes into the Device's status), in v1.23 with one. The cloud patches
 * status on the main resource, still with the resourceVersion as precondition, as the
 * ServiceAccount of deploy/kubernetes (its RBAC enforced).
 */
describe.each([
  ['before v1.23 (no DeviceStatus)', false],
  ['v1.23 (DeviceStatus, no status subresources)', true],
])('Kubernetes store with KubeEdge CRDs %s', (_name, withDeviceStatus) => {
  let server: KubeApiServer;
  let store: KubernetesObjectStore;
  let dc: DeviceController;
  let link: SqliteObjectStore;
  const sent: DownstreamItem[] = [];

  afterEach(async () => {
    await dc?.stop();
    await store?.close();
    await link?.close();
    await server?.stop();
  });

  async function setup(): Promise<void> {
    server = new KubeApiServer({ token: ADMIN, identities: { [SA_TOKEN]: SA } });
    await server.start();
    const o = server.objects;
    const crds = o.typeOf('apiextensions.k8s.io/v1', 'customresourcedefinitions')!;
    for (const plural of ['devices', 'devicemodels', ...(withDeviceStatus ? ['devicestatuses'] : [])]) {
      const crd = parse(
        readFileSync(new URL(`../../deploy/crds/devices.kubeedge.io_${plural}.yaml`, import.meta.url), 'utf8'),
      ) as { spec: { versions: Array<Record<string, unknown>> } };
      for (const v of crd.spec.versions) delete v.subresources;
      o.create(crds, '', crd);
    }
    o.create(o.typeOf('v1', 'namespaces')!, '', { metadata: { name: 'kedge-system' } });
    const rbac = readFileSync(new URL('../../deploy/kubernetes/02-rbac.yaml', import.meta.url), 'utf8');
    const plurals: Record<string, string> = {
      ServiceAccount: 'serviceaccounts',
      ClusterRole: 'clusterroles',
      ClusterRoleBinding: 'clusterrolebindings',
      Role: 'roles',
      RoleBinding: 'rolebindings',
    };
    for (const doc of parseAllDocuments(rbac)) {
      const obj = doc.toJS() as { apiVersion: string; kind: string; metadata: { namespace?: string } };
      o.create(o.typeOf(obj.apiVersion, plurals[obj.kind]!)!, obj.metadata.namespace ?? '', obj);
    }
    store = await KubernetesObjectStore.open({ kubeConfig: kubeConfigFor(server, SA_TOKEN) });
    await store.create({
      apiVersion: 'devices.kubeedge.io/v1beta1',
      kind: 'DeviceModel',
      metadata: { name: 'm', namespace: 'default' },
      spec: { protocol: 'modbus', properties: [{ name: 'temp', type: 'FLOAT', accessMode: 'ReadOnly' }] },
    });
    await store.create({
      apiVersion: 'devices.kubeedge.io/v1beta1',
      kind: 'Device',
      metadata: { name: 'a', namespace: 'default' },
      spec: { deviceModelRef: { name: 'm' }, nodeName: 'edge-1', protocol: { protocolName: 'modbus' } },
    });
    const bus = new Bus<CloudChannels, CloudRequests>({ logger: silentLogger() });
    bus.serve('cloudmqtt.publish', { name: 't', group: 't' }, async () => undefined);
    bus.subscribe('link.send', { name: 't', group: 't' }, (i) => void sent.push(i));
    link = new SqliteObjectStore({ file: ':memory:' });
    dc = new DeviceController({
      bus,
      store,
      linkState: new SqliteLinkState(link.database),
      logger: silentLogger(),
      registry: createMetricsRegistry(),
      statusIntervalMs: 0,
    });
    await dc.start();
    const request = (content: unknown, type: 'devicetwin' | 'devicestate') =>
      bus.request(`upstream.${type}`, {
        node: 'edge-1',
        message: newMessage(
          { source: 'edgehub', group: 'hub', operation: 'update', resource: `node/edge-1/default/${type}/a` },
          content,
        ),
        resource: { namespace: 'default', type, name: 'a' },
      });
    await request({ state: 'online', ts: Date.now() }, 'devicestate');
    for (let v = 1; v <= 3; v++) {
      await request(
        { properties: { temp: { reported: { value: String(v), quality: 'good', ts: Date.now(), version: v } } } },
        'devicetwin',
      );
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('patches the twin into the main resource with the resourceVersion, allowed by deploy/kubernetes RBAC', async () => {
    await setup();
    expect(store.serves('DeviceStatus')).toBe(withDeviceStatus);
    expect(store.hasStatusSubresource('Device')).toBe(false);
    const kind = withDeviceStatus ? 'DeviceStatus' : 'Device';
    const plural = withDeviceStatus ? 'devicestatuses' : 'devices';
    await expect
      .poll(async () => (await store.get(kind, 'default', 'a'))?.status, { timeout: 10_000 })
      .toMatchObject({ state: 'online', twins: [{ propertyName: 'temp', reported: { value: '3' } }] });
    const writes = server.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith(`/${plural}/a`));
    expect(writes.length).toBeGreaterThanOrEqual(1);
    for (const w of writes) expect(JSON.parse(String(w.body))[0]).toMatchObject({ path: '/metadata/resourceVersion' });
    expect(server.requests.some((r) => r.path.endsWith('/status'))).toBe(false);
    expect(server.requests.filter((r) => r.status === 403).map((r) => `${r.method} ${r.path}`)).toEqual([]);
    expect(server.rbac.used.some((u) => u.verb === 'patch' && u.resource === plural)).toBe(true);
    if (!withDeviceStatus) {
      // Every status write bumps a Device's generation without a status subresource (the API
      // server's rule), and the Device goes to its node again: once per coalesced write.
      const device = (await store.get('Device', 'default', 'a'))!;
      expect(device.metadata.generation).toBeGreaterThan(1);
      expect(sent.filter((i) => i.key === 'device/default/a').length).toBeLessThanOrEqual(writes.length + 1);
    }
  });
});

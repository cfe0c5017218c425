import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DeviceController } from '../../src/cloud/devicecontroller/index.js';
import { SqliteLinkState, SqliteObjectStore } from '../../src/cloud/store/index.js';
import { KubernetesObjectStore } from '../../src/cloud/store/kubernetes/index.js';
import type { CloudChannels, CloudRequests, DownstreamItem } from '../../src/contracts/index.js';
import { Bus } from '../../src/core/bus/index.js';
import { silentLogger } from '../../src/core/log/index.js';
import { newMessage } from '../../src/core/message/index.js';
import { createMetricsRegistry } from '../../src/core/metrics/index.js';
import { KubeApiServer, kubeConfigFor } from '../support/kube-apiserver/index.js';

/**
 * A cluster with KubeEdge's CRDs from before v1.23: no DeviceStatus, and a Device without a status
 * subresource (KubeEdge's CRDs never had one). The cloud writes the twin into the Device's status
 * through the main resource, still with the resourceVersion as precondition.
 */
describe('Kubernetes store with CRDs before KubeEdge v1.23', () => {
  let server: KubeApiServer;
  let store: KubernetesObjectStore;
  let dc: DeviceController;
  const sent: DownstreamItem[] = [];
  const link = new SqliteObjectStore({ file: ':memory:' });

  beforeAll(async () => {
    server = new KubeApiServer({ token: 'pre-123-admin-token-0123' });
    await server.start();
    const crds = server.objects.typeOf('apiextensions.k8s.io/v1', 'customresourcedefinitions')!;
    for (const plural of ['devices', 'devicemodels']) {
      const crd = parse(
        readFileSync(new URL(`../../deploy/crds/devices.kubeedge.io_${plural}.yaml`, import.meta.url), 'utf8'),
      ) as { spec: { versions: Array<Record<string, unknown>> } };
      delete crd.spec.versions[0]!.subresources;
      server.objects.create(crds, '', crd);
    }
    store = await KubernetesObjectStore.open({ kubeConfig: kubeConfigFor(server, 'pre-123-admin-token-0123') });
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
    dc = new DeviceController({
      bus,
      store,
      linkState: new SqliteLinkState(link.database),
      logger: silentLogger(),
      registry: createMetricsRegistry(),
      statusIntervalMs: 0,
    });
    await dc.start();
    const report = (v: number) =>
      bus.request('upstream.devicetwin', {
        node: 'edge-1',
        message: newMessage(
          { source: 'edgehub', group: 'hub', operation: 'update', resource: 'node/edge-1/default/devicetwin/a' },
          { properties: { temp: { reported: { value: String(v), quality: 'good', ts: Date.now(), version: v } } } },
        ),
        resource: { namespace: 'default', type: 'devicetwin', name: 'a' },
      });
    for (let v = 1; v <= 3; v++) {
      await report(v);
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 60_000);

  afterAll(async () => {
    await dc?.stop();
    await store?.close();
    await link.close();
    await server?.stop();
  });

  it('does not serve DeviceStatus and has no status subresource for Device', () => {
    expect(store.serves('DeviceStatus')).toBe(false);
    expect(store.hasStatusSubresource('Device')).toBe(false);
  });

  it('writes the twin into the Device status through the main resource, naming the resourceVersion', async () => {
    const device = (await store.get('Device', 'default', 'a'))!;
    expect(device.status).toMatchObject({ twins: [{ propertyName: 'temp', reported: { value: '3' } }] });
    const writes = server.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith('/devices/a'));
    expect(writes.length).toBeGreaterThanOrEqual(1);
    expect(server.requests.some((r) => r.path.endsWith('/status'))).toBe(false);
    for (const w of writes) expect(JSON.parse(String(w.body))[0]).toMatchObject({ path: '/metadata/resourceVersion' });
    // Without a status subresource every status write bumps generation (the API server's rule),
    // and the Device is sent to its node again with it: one message per coalesced write.
    expect(device.metadata.generation).toBeGreaterThan(1);
    expect(sent.filter((i) => i.key === 'device/default/a').length).toBeLessThanOrEqual(writes.length + 1);
  });
});

import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ModbusSim } from '../../mappers/modbus/sim/index.js';
import { packageRoot } from '../../src/core/paths/index.js';
import { prepareDemoDevice } from '../../src/demo/devices.js';
import { runKedge } from '../e2e/harness/kedge.js';
import { edgeSetup, type KedgeProcess, startCloud, startEdge, tempDir, waitFor } from '../e2e/harness/processes.js';
import { type KubeApiServer, startTestApiServer } from '../support/kube-apiserver/index.js';
import { kubectlFor } from '../support/kube-tools.js';

// biome-ignore lint/suspicious/noExplicitAny: kubectl's JSON output, read field by field.
type Json = Record<string, any>;

/**
 * `kedge cloud --store kubernetes` as a process against the API server double, used the way a
 * Kubernetes user does: the real kubectl installs the CRDs and deploy/kubernetes/, applies a
 * device from device-models/, reads devices, patches and edits desired values that the edge's
 * mapper writes to a Modbus simulator, sees the edge as a Node with a Lease, and deletes the
 * Node. The cloud runs as deploy/kubernetes's ServiceAccount with its RBAC enforced, and in the
 * end every permission granted there has been used (least privilege).
 */
const ADMIN = 'kedge-e2e-admin-token-0123456789';
const SA_TOKEN = 'kedge-e2e-serviceaccount-token-0123';
const SA = 'system:serviceaccount:kedge-system:kedge-cloud';
describe('kedge cloud on Kubernetes (API server double, real kubectl, real edge and mapper)', () => {
  const dir = tempDir('kedge-k8s-e2e-');
  const root = packageRoot();
  const NODE = 'k8s-edge';
  let server: KubeApiServer;
  let kubectl: (args: string[], env?: NodeJS.ProcessEnv) => Promise<string>;
  let sim: ModbusSim;
  let cloud: Awaited<ReturnType<typeof startCloud>>;
  let edge: KedgeProcess;
  let deviceName: string;
  let deviceFile: string;
  const procs = () => [cloud.proc, edge];
  const json = async (...args: string[]) => JSON.parse(await kubectl([...args, '-o', 'json'])) as Json;
  const coil = (n: number) => sim.memory(1).readBits('CoilRegister', n, 1)[0];

  beforeAll(async () => {
    server = await startTestApiServer({
      token: ADMIN,
      identities: { [SA_TOKEN]: SA },
      crds: false,
      bookmarkIntervalMs: 2000,
    });
    const admin = join(dir.path, 'admin.kubeconfig');
    server.writeKubeconfig(admin);
    kubectl = kubectlFor(admin, join(dir.path, 'kube-cache'));
    const crds = await kubectl(['apply', '-f', join(root, 'deploy/crds/')]);
    expect(crds).toContain('customresourcedefinition.apiextensions.k8s.io/devices.devices.kubeedge.io created');
    expect(crds).toContain('customresourcedefinition.apiextensions.k8s.io/devicestatuses.devices.kubeedge.io created');
    // The plain manifests: the same CRDs (unchanged), the namespace, the ServiceAccount and its RBAC.
    const manifests = await kubectl(['apply', '-f', join(root, 'deploy/kubernetes/')]);
    expect(manifests).toContain('customresourcedefinition.apiextensions.k8s.io/devices.devices.kubeedge.io unchanged');
    expect(manifests).toContain('clusterrole.rbac.authorization.k8s.io/kedge-cloud created');
    expect(manifests).toContain('deployment.apps/kedge-cloud created');
    const kubeconfig = join(dir.path, 'cloud.kubeconfig');
    server.writeKubeconfig(kubeconfig, SA_TOKEN);
    sim = new ModbusSim({});
    const { port } = await sim.listenTcp({ host: '127.0.0.1', port: 0 });
    // Short intervals so that stored twins follow within a second (defaults: 30 s and 10 s).
    cloud = await startCloud(
      join(dir.path, 'cloud'),
      { KEDGE_CLOUD__STATUS_INTERVAL_MS: '500' },
      {
        extraArgs: [
          '--store',
          'kubernetes',
          '--kubeconfig',
          kubeconfig,
          // In a pod this is the pod's namespace (read from its service account).
          '--kube-namespace',
          'kedge-system',
        ],
      },
    );
    edge = await startEdge(
      await edgeSetup(NODE, join(dir.path, 'edge'), `ws://127.0.0.1:${cloud.ports.hub}`, 'process'),
      // No container engine here: Pods are reported waiting for one (ContainerRuntimeUnavailable).
      { KEDGE_EDGE__TWIN_REPORT_INTERVAL_MS: '500', KEDGE_EDGE__CONTAINER_SOCKET: join(dir.path, 'no-engine.sock') },
    );
    const device = await prepareDemoDevice(join(root, 'device-models'), dir.path, 'io', {
      node: NODE,
      modbusPort: port,
    });
    deviceName = device.id.split('/')[1]!;
    deviceFile = device.file;
  }, 120_000);

  afterAll(async () => {
    await edge?.stop();
    await cloud?.proc.stop();
    await sim?.stop();
    await server?.stop();
    dir.remove();
  });

  it('kubectl applies a device-models/ file as it is, and lists devices with model, node and state columns', async () => {
    const applied = await kubectl(['apply', '-f', join(root, 'device-models/eastron-sdm120.yaml')]);
    expect(applied).toBe(
      'devicemodel.devices.kubeedge.io/eastron-sdm120 created\ndevice.devices.kubeedge.io/sdm120-kitchen-circuit created\n',
    );
    expect(await kubectl(['apply', '-f', join(root, 'device-models/eastron-sdm120.yaml')])).toContain(
      'device.devices.kubeedge.io/sdm120-kitchen-circuit unchanged',
    );
    const moxa = await kubectl(['apply', '-f', deviceFile]);
    expect(moxa).toContain(`device.devices.kubeedge.io/${deviceName} created`);
    const list = parse(await kubectl(['get', 'devices', '-o', 'yaml'])) as { items: Json[] };
    const sdm = list.items.find((d) => d.metadata.name === 'sdm120-kitchen-circuit')!;
    expect(sdm.spec).toMatchObject({ deviceModelRef: { name: 'eastron-sdm120' }, nodeName: 'edge-1' });
    expect(sdm.spec.properties.map((p: Json) => p.name)).toContain('voltage');
    const table = (await kubectl(['get', 'devices'])).split('\n');
    expect(table[0]).toMatch(/^NAME\s+MODEL\s+NODE\s+PROTOCOL\s+STATE\s+AGE$/);
    expect(table.find((l) => l.startsWith('sdm120-kitchen-circuit'))).toMatch(/eastron-sdm120\s+edge-1\s+modbus/);
    // The cloud sees them through its watch: its API lists both.
    await waitFor(
      async () => (await runKedge(['get', 'devices', '-o', 'json', '--server', cloud.api])).stdout.includes(deviceName),
      'the moxa device in the cloud API',
      30_000,
      procs(),
    );
  });

  it('the edge appears as a Ready Node with the edge role, and renews its Lease in kube-node-lease', async () => {
    await waitFor(
      async () => {
        const nodes = await kubectl(['get', 'nodes', '--no-headers']);
        return /k8s-edge\s+Ready\s+agent,edge/.test(nodes);
      },
      'Node k8s-edge Ready',
      60_000,
      procs(),
    );
    const node = await json('get', 'node', NODE);
    expect(node.metadata.labels['node-role.kubernetes.io/edge']).toBe('');
    expect(node.status.allocatable).toEqual({ pods: '110' });
    const lease = await json('get', 'lease', '-n', 'kube-node-lease', NODE);
    expect(lease.spec).toMatchObject({ holderIdentity: NODE, leaseDurationSeconds: 40 });
    expect(lease.metadata.ownerReferences[0]).toMatchObject({ kind: 'Node', name: NODE, uid: node.metadata.uid });
  });

  it('kubectl patch of a desired value -> edge -> mapper writes the coil and reads it back -> DeviceStatus', async () => {
    const device = await json('get', 'device', deviceName);
    const index = (device.spec.properties as Json[]).findIndex((p) => p.name === 'relay-1');
    expect(index).toBeGreaterThanOrEqual(0);
    expect(coil(1)).toBe(false);
    await kubectl([
      'patch',
      'device',
      deviceName,
      '--type',
      'json',
      '-p',
      JSON.stringify([{ op: 'add', path: `/spec/properties/${index}/desired`, value: { value: 'true' } }]),
    ]);
    await waitFor(() => coil(1) === true, 'coil 1 written on the simulator', 30_000, procs());
    await waitFor(
      async () => {
        const status = await json('get', 'devicestatus', deviceName).catch(() => undefined);
        const twin = (status?.status?.twins as Json[] | undefined)?.find((t) => t.propertyName === 'relay-1');
        return twin?.reported?.value === 'true' && twin?.observedDesired?.value === 'true';
      },
      'relay-1 reported true in the DeviceStatus',
      30_000,
      procs(),
    );
    const status = await json('get', 'devicestatus', deviceName);
    expect(status.metadata.ownerReferences[0]).toMatchObject({ kind: 'Device', name: deviceName, controller: true });
    expect(status.status.state).toBe('online');
    // Written through the status subresource, with the resourceVersion it was computed from.
    const writes = server.requests.filter(
      (r) => r.method === 'PATCH' && r.path.endsWith(`/devicestatuses/${deviceName}/status`),
    );
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.every((w) => w.contentType === 'application/json-patch+json')).toBe(true);
    expect(JSON.parse(String(writes[0]!.body))[0]).toMatchObject({ op: 'replace', path: '/metadata/resourceVersion' });
    // State is mirrored into the Device (the STATE column).
    await waitFor(
      async () => /online/.test(await kubectl(['get', 'device', deviceName, '--no-headers'])),
      'STATE online',
      30_000,
      procs(),
    );
  });

  it('kubectl edit of a desired value reaches the device too', async () => {
    // kubectl edit runs $KUBE_EDITOR on the object as YAML: a script stands in for a person.
    const editor = join(dir.path, 'editor.sh');
    writeFileSync(
      editor,
      `#!/bin/sh\nnode -e 'const fs=require("fs"),y=require(${JSON.stringify(createRequire(import.meta.url).resolve('yaml'))});const f=process.argv[1];const d=y.parse(fs.readFileSync(f,"utf8"));for(const p of d.spec.properties)if(p.name==="relay-2")p.desired={value:"true"};fs.writeFileSync(f,y.stringify(d))' "$1"\n`,
      { mode: 0o755 },
    );
    await kubectl(['edit', 'device', deviceName], { KUBE_EDITOR: editor, EDITOR: editor });
    await waitFor(() => coil(2) === true, 'coil 2 written on the simulator', 30_000, procs());
  });

  it('the kedge CLI works in Kubernetes mode: twin set writes the Device spec and waits for the read-back', async () => {
    const set = await runKedge(
      ['twin', 'set', `default/${deviceName}`, 'relay-3=true', '--wait', '20000', '--server', cloud.api],
      { timeoutMs: 60_000 },
    );
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(coil(3)).toBe(true);
    const device = await json('get', 'device', deviceName);
    expect((device.spec.properties as Json[]).find((p) => p.name === 'relay-3')!.desired).toEqual({ value: 'true' });
    const got = await runKedge(['get', 'devices', '--server', cloud.api]);
    expect(got.stdout).toMatch(new RegExp(`${deviceName}\\s+moxa-iologik-e1214\\s+${NODE}\\s+modbus\\s+online`));
    // One device through the API: its DeviceStatus's twins under status, as before the split.
    const one = JSON.parse(
      (await runKedge(['get', 'devices', `default/${deviceName}`, '-o', 'json', '--server', cloud.api])).stdout,
    ) as Json;
    expect((one.status.twins as Json[]).find((t) => t.propertyName === 'relay-1')).toMatchObject({
      reported: { value: 'true' },
    });
  });

  it('keeps working after the API server ends its watches and compacts the history (410 Gone)', async () => {
    const watchesBefore = server.requests.filter((r) => r.query.get('watch') === 'true').length;
    server.dropWatches();
    server.compact();
    const device = await json('get', 'device', deviceName);
    const index = (device.spec.properties as Json[]).findIndex((p) => p.name === 'relay-4');
    await kubectl([
      'patch',
      'device',
      deviceName,
      '--type',
      'json',
      '-p',
      JSON.stringify([{ op: 'add', path: `/spec/properties/${index}/desired`, value: { value: 'true' } }]),
    ]);
    await waitFor(() => coil(4) === true, 'coil 4 written after the watches were cut', 30_000, procs());
    expect(server.requests.filter((r) => r.query.get('watch') === 'true').length).toBeGreaterThan(watchesBefore);
  });

  it('the kedge API creates, updates and deletes custom resources through the store', async () => {
    const file = join(dir.path, 'xy-md02.yaml');
    const text = (await import('node:fs')).readFileSync(join(root, 'device-models/generic-xy-md02.yaml'), 'utf8');
    writeFileSync(file, text);
    const created = await runKedge(['apply', '-f', file, '--server', cloud.api]);
    expect(created.stdout).toMatch(/devicemodel\/default\/\S+ created/);
    const name = /device\/default\/(\S+) created/.exec(created.stdout)![1]!;
    writeFileSync(file, text.replace(/nodeName: \S+/, 'nodeName: another-node'));
    expect((await runKedge(['apply', '-f', file, '--server', cloud.api])).stdout).toContain(
      `device/default/${name} updated`,
    );
    expect((await json('get', 'device', name)).spec.nodeName).toBe('another-node');
    expect((await runKedge(['delete', 'device', `default/${name}`, '--server', cloud.api])).code).toBe(0);
    const model = /devicemodel\/default\/(\S+) created/.exec(created.stdout)![1]!;
    expect((await runKedge(['delete', 'devicemodel', `default/${model}`, '--server', cloud.api])).code).toBe(0);
    expect(await kubectl(['get', 'devicemodels', '-o', 'name'])).not.toContain(model);
  });

  it('renews the Lease while the edge is connected (the edge sends a keepalive every 15 s)', async () => {
    const first = (await json('get', 'lease', '-n', 'kube-node-lease', NODE)).spec.renewTime as string;
    await waitFor(
      async () => (await json('get', 'lease', '-n', 'kube-node-lease', NODE)).spec.renewTime !== first,
      'a renewed lease',
      40_000,
      procs(),
    );
  });

  it('kubectl delete node disconnects the edge, which registers again', async () => {
    const before = await json('get', 'node', NODE);
    expect(await kubectl(['delete', 'node', NODE])).toContain(`node "${NODE}" deleted`);
    await waitFor(
      () => edge.output.includes(`Node ${NODE} was deleted`) && cloud.proc.output.includes(`Node ${NODE} was deleted`),
      'the edge told why it was disconnected',
      30_000,
      procs(),
    );
    await waitFor(
      async () => {
        const node = await json('get', 'node', NODE).catch(() => undefined);
        return !!node && node.metadata.uid !== before.metadata.uid && /True/.test(JSON.stringify(node.status));
      },
      'the Node registered again, Ready',
      60_000,
      procs(),
    );
  });

  it('deleting the Device removes its DeviceStatus', async () => {
    await kubectl(['delete', 'device', deviceName]);
    await waitFor(
      async () => (await kubectl(['get', 'devicestatuses', '-o', 'name'])).trim() === '',
      'no DeviceStatus left',
      30_000,
      procs(),
    );
  });

  it('Pods: kubectl apply reaches the edge (without the token volume admission adds), its status comes back; kedge apply, get and delete pod; kubectl delete pod finishes', async () => {
    const file = join(dir.path, 'pod.yaml');
    const text = (await import('node:fs'))
      .readFileSync(join(root, 'deploy/examples/pod-counter.yaml'), 'utf8')
      .replace(/nodeName: \S+/, `nodeName: ${NODE}`);
    writeFileSync(file, text);
    expect(await kubectl(['apply', '-f', file])).toContain('pod/counter created');
    const admitted = await json('get', 'pod', 'counter');
    expect((admitted.spec.volumes as Json[]).some((v) => /^kube-api-access-/.test(v.name))).toBe(true);
    // The edge took the Pod (it refuses volumes other than hostPath) and reports it waiting.
    await waitFor(
      async () =>
        (await json('get', 'pod', 'counter')).status?.containerStatuses?.[0]?.state?.waiting?.reason ===
        'ContainerRuntimeUnavailable',
      'the status of the Pod from its node',
      30_000,
      procs(),
    );
    expect((await runKedge(['get', 'pods', '--server', cloud.api])).stdout).toContain('counter');
    // Applied again as it is: nothing changes (the admitted volume and defaults are kept).
    expect(await kubectl(['apply', '-f', file])).toContain('pod/counter unchanged');
    // kedge apply writes the object as given (kubectl's last-applied annotation goes), then
    // nothing: the spec the server admitted, with its token volume and defaults, is kept.
    const first = await runKedge(['apply', '-f', file, '--server', cloud.api]);
    expect(first.stdout, first.stderr).toContain('pod/default/counter updated');
    const again = await runKedge(['apply', '-f', file, '--server', cloud.api]);
    expect(again.stdout, again.stderr).toContain('pod/default/counter unchanged');
    // An image may change (the only spec change Kubernetes allows a Pod): sent to the node.
    writeFileSync(file, text.replace('localhost/kedge:0.1.0', 'localhost/kedge:0.1.1'));
    expect((await runKedge(['apply', '-f', file, '--server', cloud.api])).stdout).toContain(
      'pod/default/counter updated',
    );
    expect((await json('get', 'pod', 'counter')).spec.containers[0].image).toBe('localhost/kedge:0.1.1');
    // kubectl deletes with a grace period and waits: kedge, the node's kubelet, finishes it.
    expect(await kubectl(['delete', 'pod', 'counter', '--timeout=30s'])).toContain('pod "counter" deleted');
    expect((await runKedge(['apply', '-f', file, '--server', cloud.api])).stdout).toContain(
      'pod/default/counter created',
    );
    expect((await runKedge(['delete', 'pod', 'default/counter', '--server', cloud.api])).code).toBe(0);
    expect(await kubectl(['get', 'pods', '-o', 'name'])).not.toContain('counter');
  });

  it('kedge delete node deletes a Node no Device names and no edge holds', async () => {
    const f = join(dir.path, 'retired.yaml');
    writeFileSync(f, 'apiVersion: v1\nkind: Node\nmetadata:\n  name: retired-gw\n');
    expect(await kubectl(['apply', '-f', f])).toContain('node/retired-gw created');
    expect((await runKedge(['delete', 'node', 'retired-gw', '--server', cloud.api])).code).toBe(0);
    expect(await kubectl(['get', 'nodes', '-o', 'name'])).not.toContain('retired-gw');
  });

  it('the cloud needed every permission deploy/kubernetes grants it, and no other', async () => {
    const forbidden = server.requests.filter((r) => r.user === SA && r.status === 403);
    expect(forbidden.map((r) => `${r.method} ${r.path}`)).toEqual([]);
    const used = new Set(
      server.rbac.used.filter((u) => u.user === SA).map((u) => `${u.verb} ${u.group}/${u.resource}`),
    );
    const docs = (await import('yaml'))
      .parseAllDocuments((await import('node:fs')).readFileSync(join(root, 'deploy/kubernetes/02-rbac.yaml'), 'utf8'))
      .map((d) => d.toJS() as Json);
    const granted = docs
      .filter((d) => d.kind === 'ClusterRole' || d.kind === 'Role')
      .flatMap((role) =>
        (role.rules as Json[]).flatMap((r) =>
          (r.apiGroups as string[]).flatMap((g) =>
            (r.resources as string[]).flatMap((res) => (r.verbs as string[]).map((v) => `${v} ${g}/${res}`)),
          ),
        ),
      );
    // Used only with KubeEdge's own CRDs (no status subresource): pre-1.23-crds.test.ts.
    const kubeEdgeCrdsOnly = ['patch devices.kubeedge.io/devices', 'patch devices.kubeedge.io/devicestatuses'];
    expect(granted.filter((g) => !used.has(g) && !kubeEdgeCrdsOnly.includes(g))).toEqual([]);
  });
});

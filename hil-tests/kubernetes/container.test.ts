import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { packageRoot } from '../../src/core/paths/index.js';
import { freePort } from '../../src/demo/ports.js';
import { buildKedgeImage, podman } from '../container/podman.js';
import { runKedge } from '../e2e/harness/kedge.js';
import { httpOk, KedgeProcess, tempDir, waitFor } from '../e2e/harness/processes.js';
import { type KubeApiServer, startTestApiServer } from '../support/kube-apiserver/index.js';
import { kubectlFor } from '../support/kube-tools.js';
import { spawn } from 'node:child_process';

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects read from YAML, field by field.
type Json = Record<string, any>;

const root = packageRoot();
const FILE = join(root, 'deploy/container/kedge.Containerfile');
const SA_TOKEN = 'image-test-serviceaccount-token-01';
const SA = 'system:serviceaccount:kedge-system:kedge-cloud';

/** The instructions of a Containerfile, continuation lines joined. */
function instructions(): Array<{ op: string; args: string }> {
  return readFileSync(FILE, 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => l.trim() && !l.trim().startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.trim().split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(' ') };
    });
}

const deployment = (): Json =>
  parseAllDocuments(readFileSync(join(root, 'deploy/kubernetes/04-deployment.yaml'), 'utf8'))
    .map((d) => d.toJS() as Json)
    .find((d) => d?.kind === 'Deployment')!;

/**
 * The cloud runs in the cluster from the kedge image (the one Edged runs mappers from). No
 * registry is reachable here, so kedge.Containerfile cannot be built; deploy/container/build-image.sh
 * makes the same layout without one, and that image runs as deploy/kubernetes/04-deployment.yaml
 * says: its arguments, its user, a read-only root, the CA and API token from the Secrets'
 * mounts, and the in-cluster service account (token, CA, namespace and the service address, as
 * the kubelet provides them) against the API server double, with the RBAC of the manifests.
 */
describe('the kedge image runs kedge cloud as deploy/kubernetes says', () => {
  const dir = tempDir('kedge-cloud-image-');
  let server: KubeApiServer;
  let image: string;
  let name: string | undefined;

  beforeAll(async () => {
    [server, image] = await Promise.all([
      startTestApiServer({ token: 'image-test-admin-token-0123', identities: { [SA_TOKEN]: SA }, crds: false }),
      buildKedgeImage(),
    ]);
    const admin = join(dir.path, 'admin.kubeconfig');
    server.writeKubeconfig(admin);
    const kubectl = kubectlFor(admin, join(dir.path, 'kube-cache'));
    await kubectl(['apply', '-f', join(root, 'deploy/kubernetes/')]);
  }, 600_000);

  afterAll(async () => {
    if (name) await podman('rm', '-f', name).catch(() => undefined);
    await server?.stop();
    dir.remove();
  });

  it('copies what exists; the manifests run its entrypoint with flags kedge cloud knows', async () => {
    const ins = instructions();
    for (const c of ins.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from')))
      for (const src of c.args.split(/\s+/).slice(0, -1)) expect(existsSync(join(root, src)), src).toBe(true);
    expect(JSON.parse(ins.find((i) => i.op === 'ENTRYPOINT')!.args)).toEqual(['node', '/opt/kedge/bin/kedge.js']);
    const [command, ...args] = deployment().spec.template.spec.containers[0].args as string[];
    expect(command).toBe('cloud');
    const help = (await runKedge(['cloud', '--help'])).stdout;
    for (const flag of args.map((a) => a.split('=')[0]!)) expect(help, flag).toContain(`${flag} `);
  });

  it('starts as the Deployment says, on the CA of its Secret, as the ServiceAccount', async () => {
    const pod = deployment().spec.template.spec;
    const container = pod.containers[0];
    // What the kubelet mounts: the service account, and the two Secrets.
    const sa = join(dir.path, 'serviceaccount');
    mkdirSync(sa);
    writeFileSync(join(sa, 'token'), SA_TOKEN);
    writeFileSync(join(sa, 'ca.crt'), Buffer.from(server.caData, 'base64'));
    writeFileSync(join(sa, 'namespace'), 'kedge-system');
    const ca = join(dir.path, 'ca');
    mkdirSync(ca);
    const made = await runTool('openssl', [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '30'],
      ...['-subj', '/CN=kedge CA', '-addext', 'basicConstraints=critical,CA:TRUE'],
      ...[
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
        '-keyout',
        join(ca, 'tls.key'),
        '-out',
        join(ca, 'tls.crt'),
      ],
    ]);
    expect(made.code, made.stderr).toBe(0);
    const tokens = join(dir.path, 'tokens');
    mkdirSync(tokens);
    writeFileSync(join(tokens, 'api-token'), 'image-test-api-token-0123456789');
    for (const f of [join(ca, 'tls.key'), join(ca, 'tls.crt'), join(tokens, 'api-token')]) chmodSync(f, 0o644);
    const emptyDir = (n: string) => {
      const d = join(dir.path, n);
      mkdirSync(d);
      chmodSync(d, 0o1777);
      return d;
    };
    const mounts: Record<string, string> = {
      '/var/run/secrets/kubernetes.io/serviceaccount': sa,
      '/etc/kedge/ca': ca,
      '/etc/kedge/tokens': tokens,
    };
    for (const m of container.volumeMounts as Json[])
      if (m.mountPath !== '/var/lib/kedge' && m.mountPath !== '/tmp')
        expect(mounts[m.mountPath], m.mountPath).toBeDefined();
    // Ports of our own on loopback (the host's network stands in for the pod's).
    const [hub, join_, api, mqtt] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const own = ['--hub-host=127.0.0.1', '--api-host=127.0.0.1', '--mqtt-host=127.0.0.1'];
    const ports = [`--hub-port=${hub}`, `--join-port=${join_}`, `--api-port=${api}`, `--mqtt-port=${mqtt}`];
    const apiPort = new URL(server.url).port;
    name = `kedge-cloud-image-${process.pid}`;
    const proc = new KedgeProcess(
      'cloud (image)',
      spawn(
        'podman',
        [
          ...['run', '--rm', '--name', name, '--network=host', '--read-only'],
          ...['--user', `${pod.securityContext.runAsUser}:${pod.securityContext.runAsGroup}`],
          // The emptyDirs (data, tmp), writable by the pod's user as fsGroup makes them.
          ...['-v', `${emptyDir('data')}:/var/lib/kedge`, '-v', `${emptyDir('tmp')}:/tmp`],
          ...Object.entries(mounts).flatMap(([inside, outside]) => ['-v', `${outside}:${inside}:ro`]),
          ...['-e', 'KUBERNETES_SERVICE_HOST=127.0.0.1', '-e', `KUBERNETES_SERVICE_PORT=${apiPort}`],
          ...['-e', `KEDGE_CLOUD__REPLICA_ID=${name}`],
          image,
          ...(container.args as string[]),
          ...own,
          ...ports,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    );
    try {
      await waitFor(() => httpOk(`http://127.0.0.1:${api}/healthz`), 'the cloud API in the container', 120_000, [proc]);
      // The log reaches us through podman's relay and the logger's buffer: it may trail /healthz.
      await waitFor(() => proc.output.includes('store: Kubernetes'), 'the store line in the log', 30_000, [proc]);
      // The CA of the Secret, not one of its own.
      await waitFor(
        () => /"ca":"\/etc\/kedge\/ca\/tls\.crt"/.test(proc.output),
        'the CA line naming /etc/kedge/ca/tls.crt',
        30_000,
        [proc],
      );
      const devices = await runKedge(['get', 'devices', '--server', `http://127.0.0.1:${api}`], {
        env: { KEDGE_API_TOKEN_FILE: join(tokens, 'api-token') },
      });
      expect(devices.code, devices.stderr).toBe(0);
      expect(server.requests.some((r) => r.user === SA && r.status === 200)).toBe(true);
      expect(server.requests.filter((r) => r.user === SA && r.status === 403)).toEqual([]);
    } finally {
      await podman('stop', '-t', '5', name).catch(() => undefined);
      await proc.stop();
    }
  });
});

async function runTool(cmd: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

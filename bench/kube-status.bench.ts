/**
 * What twin reports cost the Kubernetes API server (KubeEdge's DeviceController wrote status
 * straight through and overloaded it: 30 devices at 3 updates/s drove it past 1300 % CPU, issues
 * #3761, #2286). N devices on the API server double (a process of its own) each report their
 * twin R times a second for S seconds into the DeviceController on the Kubernetes store; counted:
 * API requests by kind, and this process's CPU (the cloud side only) per 1,000 reports.
 *
 *   npx tsx bench/kube-status.bench.ts [devices=500] [reportsPerSecond=2] [seconds=60] [statusIntervalMs=30000] [--write]
 *
 * statusIntervalMs 0 writes every report, as an uncoalesced controller would.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DeviceController } from '../src/cloud/devicecontroller/index.js';
import { SqliteLinkState, openCloudDatabase } from '../src/cloud/store/index.js';
import { KubernetesObjectStore, loadKubeConfig } from '../src/cloud/store/kubernetes/index.js';
import type { CloudChannels, CloudRequests } from '../src/contracts/index.js';
import { Bus } from '../src/core/bus/index.js';
import { silentLogger } from '../src/core/log/index.js';
import { newMessage } from '../src/core/message/index.js';
import { createMetricsRegistry } from '../src/core/metrics/index.js';
import { writeResultsSubsection } from './results-file.js';

const nums = process.argv
  .slice(2)
  .filter((a) => /^\d+$/.test(a))
  .map(Number);
const [devices = 500, rate = 2, seconds = 60, statusIntervalMs = 30_000] = nums;
const write = process.argv.includes('--write');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const load = loadavg()[0]!;
  const dir = mkdtempSync(join(tmpdir(), 'kedge-bench-kube-'));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'kube-apiserver-child.ts'), join(dir, 'kubeconfig')],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! });
  const next = () => new Promise<string>((resolve) => lines.once('line', resolve));
  await next();
  const stats = async () => {
    child.stdin!.write('stats\n');
    return JSON.parse(await next()) as { total: number; counts: Record<string, number> };
  };
  const { kc } = loadKubeConfig({ kubeconfig: join(dir, 'kubeconfig'), env: {} });
  const store = await KubernetesObjectStore.open({ kubeConfig: kc });
  await store.create({
    apiVersion: 'devices.kubeedge.io/v1beta1',
    kind: 'DeviceModel',
    metadata: { name: 'meter', namespace: 'default' },
    spec: { protocol: 'modbus', properties: [{ name: 'power', type: 'FLOAT', accessMode: 'ReadOnly' }] },
  });
  for (let i = 0; i < devices; i++)
    await store.create({
      apiVersion: 'devices.kubeedge.io/v1beta1',
      kind: 'Device',
      metadata: { name: `meter-${i}`, namespace: 'default' },
      spec: { deviceModelRef: { name: 'meter' }, nodeName: 'edge-1', protocol: { protocolName: 'modbus' } },
    });
  const bus = new Bus<CloudChannels, CloudRequests>({ logger: silentLogger() });
  bus.serve('cloudmqtt.publish', { name: 'b', group: 'b' }, async () => undefined);
  const db = openCloudDatabase(join(dir, 'link.db'));
  const dc = new DeviceController({
    bus,
    store,
    linkState: new SqliteLinkState(db),
    logger: silentLogger(),
    registry: createMetricsRegistry(),
    statusIntervalMs,
  });
  await dc.start();
  const before = await stats();
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  let reports = 0;
  let version = 0;
  const tickMs = 100;
  const perTick = (devices * rate * tickMs) / 1000;
  let owed = 0;
  while (Date.now() - t0 < seconds * 1000) {
    const tickStart = Date.now();
    owed += perTick;
    const sends: Array<Promise<unknown>> = [];
    for (; owed >= 1; owed--) {
      const d = reports % devices;
      version++;
      sends.push(
        bus.request('upstream.devicetwin', {
          node: 'edge-1',
          message: newMessage(
            {
              source: 'edgehub',
              group: 'hub',
              operation: 'update',
              resource: `node/edge-1/default/devicetwin/meter-${d}`,
            },
            {
              properties: { power: { reported: { value: String(version), quality: 'good', ts: Date.now(), version } } },
            },
          ),
          resource: { namespace: 'default', type: 'devicetwin', name: `meter-${d}` },
        }),
      );
      reports++;
    }
    await Promise.all(sends);
    await sleep(Math.max(0, tickMs - (Date.now() - tickStart)));
  }
  const elapsed = (Date.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await sleep(500);
  const after = await stats();
  await dc.stop();
  await store.close();
  db.close();
  child.stdin!.end();
  rmSync(dir, { recursive: true, force: true });
  const diff: Record<string, number> = {};
  for (const [k, v] of Object.entries(after.counts))
    if (v - (before.counts[k] ?? 0) > 0) diff[k] = v - (before.counts[k] ?? 0);
  const requests = after.total - before.total;
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const lines_ = [
    `- command: \`npx tsx bench/kube-status.bench.ts ${devices} ${rate} ${seconds} ${statusIntervalMs}\``,
    `- twin reports: ${reports} in ${elapsed.toFixed(1)} s (${(reports / elapsed).toFixed(0)}/s), ${devices} devices at ${rate}/s each`,
    `- API requests: ${requests} (${(requests / elapsed).toFixed(1)}/s): ${Object.entries(diff)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `- API requests per 1,000 reports: ${((requests / reports) * 1000).toFixed(1)}`,
    `- cloud CPU (DeviceController + store + client, the double excluded): ${((cpuMs / reports) * 1000).toFixed(1)} ms per 1,000 reports`,
    `- node ${process.version}, ${cpus().length} cores, ${cpus()[0]?.model.trim()}, load average ${load.toFixed(1)} at the start; ${new Date().toISOString().slice(0, 10)}`,
  ];
  process.stdout.write(`${lines_.join('\n')}\n`);
  if (write)
    writeResultsSubsection(
      '## Kubernetes store: twin reports and API server load',
      'bench/kube-status.bench.ts',
      `${devices} devices x ${rate}/s, statusIntervalMs ${statusIntervalMs}`,
      lines_.join('\n'),
    );
}

main().catch((err: unknown) => {
  process.stderr.write(`${String((err as Error).stack ?? err)}\n`);
  process.exit(1);
});

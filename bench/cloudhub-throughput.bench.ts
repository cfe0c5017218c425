/**
 * The cloud's upstream path: telemetry from one edge node through CloudHub (dedupe, ack after
 * handling), DeviceController (content check) and the embedded MQTT broker (QoS 1) to a consumer.
 * The edge and the consumer run in a child process; the cloud's own CPU is measured.
 *
 *   npx tsx bench/cloudhub-throughput.bench.ts [seconds=20] [devices=100] [readingsPerMessage=10] [window=256] [--write]
 *
 * `--write` puts the figures into the `## CloudHub` section of bench/RESULTS.md (after the connection figures).
 */
import { execSync, fork } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCloudNode } from '../src/cloud/index.js';
import { loopbackCloudConfig } from '../src/cloud/testing/cloud-under-test.js';
import { createLogger } from '../src/core/log/index.js';
import { createMetricsRegistry } from '../src/core/metrics/index.js';

const nums = process.argv
  .slice(2)
  .filter((a) => /^\d+$/.test(a))
  .map(Number);
const [seconds = 20, devices = 100, perMessage = 10, window = 256] = nums;
const write = process.argv.includes('--write');

async function main(): Promise<void> {
  const loadAtStart = loadavg()[0]!;
  const dataDir = mkdtempSync(join(tmpdir(), 'kedge-bench-cloud-tp-'));
  const config = loopbackCloudConfig(dataDir);
  const cloud = createCloudNode(config, {
    logger: createLogger({ level: 'error', pretty: false }),
    registry: createMetricsRegistry(),
  });
  await cloud.start();
  const docs = [
    {
      apiVersion: 'devices.kubeedge.io/v1beta1',
      kind: 'DeviceModel',
      metadata: { name: 'm', namespace: 'default' },
      spec: { protocol: 'modbus', properties: [{ name: 'p', type: 'INT', accessMode: 'ReadOnly' }] },
    },
    ...Array.from({ length: devices }, (_, d) => ({
      apiVersion: 'devices.kubeedge.io/v1beta1',
      kind: 'Device',
      metadata: { name: `dev-${d}`, namespace: 'default' },
      spec: {
        deviceModelRef: { name: 'm' },
        nodeName: 'bench-edge',
        protocol: {
          protocolName: 'modbus',
          configData: { communicateMode: 'TCP', ip: '127.0.0.1', port: 502, slaveID: 1 },
        },
        properties: [
          {
            name: 'p',
            visitors: { protocolName: 'modbus', configData: { register: 'HoldingRegister', offset: d, limit: 1 } },
          },
        ],
      },
    })),
  ];
  const applied = await fetch(`http://127.0.0.1:${cloud.ports.api}/api/v1/apply`, {
    method: 'POST',
    body: JSON.stringify({ documents: docs }),
  });
  if (applied.status !== 200) throw new Error(`apply failed: ${await applied.text()}`);
  const child = fork(
    fileURLToPath(new URL('./cloudhub-throughput-edge.ts', import.meta.url)),
    [cloud.ports.hub, cloud.ports.mqtt!, seconds, devices, perMessage, window].map(String),
    { execArgv: ['--import', 'tsx'] },
  );
  const next = (type: string) =>
    new Promise<Record<string, number>>((resolve) =>
      child.on('message', (m: { type: string }) => m.type === type && resolve(m as unknown as Record<string, number>)),
    );
  await next('ready');
  await new Promise((r) => setTimeout(r, 500));
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  child.send({ type: 'go' });
  const done = await next('done');
  const cpu = process.cpuUsage(cpu0);
  const wall = (Date.now() - t0) / 1000;
  const rss = process.memoryUsage().rss / 1024 / 1024;
  await new Promise((r) => child.once('exit', r));
  await cloud.stop();
  rmSync(dataDir, { recursive: true, force: true });
  const readings = done.acked! * perMessage;
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const r = {
    ...done,
    seconds,
    devices,
    perMessage,
    window,
    messagesPerSecond: done.acked! / done.elapsed!,
    readingsPerSecond: readings / done.elapsed!,
    cloudCpuPercent: (cpuMs / 1000 / wall) * 100,
    cloudCpuMsPer1000Readings: (cpuMs / readings) * 1000,
    rssMb: rss,
    loadAverage: loadAtStart,
  };
  console.log(JSON.stringify(r, null, 2));
  if (write) writeResults(r);
}

function writeResults(r: Record<string, number>): void {
  const file = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
  const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  const cpu = cpus()[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU';
  const nproc = execSync('nproc').toString().trim();
  const block = [
    '### Upstream telemetry through the cloud',
    '',
    `One edge node sends telemetry (column-wise, one device per message) for ${fmt(r.devices!)} devices (${fmt(r.perMessage!)} readings per message, at most ${fmt(r.window!)} unacknowledged, as EdgeHub does) to a whole \`kedge cloud\`; each message is deduplicated, checked, published QoS 1 on the embedded broker and then acknowledged; a consumer subscribes to \`kedge/telemetry/#\`. Edge and consumer run in a child process.`,
    '',
    `- command: \`npx tsx bench/cloudhub-throughput.bench.ts ${r.seconds} ${r.devices} ${r.perMessage} ${r.window}\``,
    `- acknowledged: ${fmt(r.acked!)} messages in ${fmt(r.elapsed!, 1)} s = ${fmt(r.messagesPerSecond!)} messages/s, **${fmt(r.readingsPerSecond!)} readings/s**`,
    `- consumer received: ${fmt(r.received!)} messages (${fmt(r.receivedReadings!)} readings), out of order per device: ${fmt(r.outOfOrder!)}`,
    `- cloud CPU: ${fmt(r.cloudCpuPercent!, 1)} % of one core, **${fmt(r.cloudCpuMsPer1000Readings!, 2)} ms per 1,000 readings**; cloud RSS ${fmt(r.rssMb!, 1)} MB`,
    `- node ${process.version}, ${nproc} cores (nproc ${nproc}), ${cpu}; 1-minute load average before the run ${fmt(r.loadAverage!, 1)} (other work on the machine shares these cores)`,
    `- measured: ${new Date().toISOString().slice(0, 10)}`,
    '',
  ].join('\n');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const section = /## CloudHub\n[\s\S]*?(?=\n## |$)/.exec(text);
  if (!section) throw new Error('run bench/cloudhub.bench.ts --write first: it creates the ## CloudHub section');
  const body = section[0].replace(/\n### Upstream telemetry through the cloud\n[\s\S]*$/, '\n').trimEnd();
  writeFileSync(file, text.replace(section[0], `${body}\n\n${block}`));
}

await main();

/**
 * SD card wear: bytes the edge process writes per 1,000 readings at a realistic rate (100 devices
 * x 10 properties, every property once a second, arriving in one burst per second as a poller
 * delivers them), with half the properties `reportToCloud` (telemetry into the outbox) and with
 * none. Readings enter on the bus (no MQTT), so only the store's writes are measured.
 *
 *   npx tsx bench/edge-wear.bench.ts [seconds=20] [--write]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { EdgeConfigSchema, type EdgeConfig } from '../src/core/config/index.js';
import { silentLogger } from '../src/core/log/index.js';
import { createEdgeNode } from '../src/edge/index.js';
import { benchDevice, benchModel, procIo, writeEdgeSection } from './edge-bench-support.js';

const args = process.argv.slice(2);
const seconds = Number(args.find((a) => /^\d+$/.test(a)) ?? 20);
const rows: string[] = [];
for (const cloud of [true, false]) rows.push(await measure(cloud));
const text = [
  `${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, ext4, Node ${process.version}; 100 devices x 10 FLOAT properties, 1,000 readings/s in one burst per second, ${seconds} s; \`/proc/self/io\` write_bytes (what reached the block device, WAL and checkpoints included).`,
  '',
  '| telemetry to the cloud | transactions | bytes written per 1,000 readings | per day at 1,000 readings/s |',
  '|---|---|---|---|',
  ...rows,
].join('\n');
process.stdout.write(`${text}\n`);
if (args.includes('--write'))
  writeEdgeSection(
    'SD card writes',
    `${text}\n\nRun: \`npx tsx bench/edge-wear.bench.ts ${args.filter((a) => a !== '--write').join(' ')}\``,
  );

async function measure(cloud: boolean): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'kedge-bench-wear-'));
  const defaults = Value.Default(EdgeConfigSchema, { node: 'b', dataDir: dir }) as EdgeConfig;
  const config = {
    ...defaults,
    mqtt: { ...defaults.mqtt, port: 0 },
    apiPort: 0,
    servicebusPort: 0,
    mappers: 'none' as const,
  };
  const node = createEdgeNode(config, { logger: silentLogger() });
  await node.start();
  const devices = Array.from({ length: 100 }, (_, i) => benchDevice(i, 10));
  if (!cloud) for (const d of devices) for (const p of d.spec.properties) p.reportToCloud = false;
  await node.bus.request('meta.apply', { documents: [benchModel(10), ...devices] });
  await new Promise((r) => setTimeout(r, 500));
  const io0 = procIo();
  const flushes0 = node.store.batcher.stats.flushes;
  let n = 0;
  for (let s = 0; s < seconds; s++) {
    for (let d = 0; d < 100; d++) {
      // Two decimals, as a scaled Modbus register gives.
      const readings = Array.from({ length: 10 }, (_, p) => ({
        property: `p${p}`,
        value: Math.round((20 + Math.sin(s / 7 + d + p) * 5) * 100) / 100,
        quality: 'good' as const,
        ts: Date.now(),
      }));
      node.bus.publish('device.readings', { deviceId: `default/dev-${d}`, readings, source: 'mapper' });
      n += 10;
    }
    await node.store.batcher.durable();
    await new Promise((r) => setTimeout(r, 1000));
  }
  const io1 = procIo();
  const flushes = node.store.batcher.stats.flushes - flushes0;
  await node.stop();
  rmSync(dir, { recursive: true, force: true });
  const per1000 = ((io1.writeBytes - io0.writeBytes) / n) * 1000;
  return `| ${cloud ? 'half the properties (reportToCloud)' : 'none'} | ${flushes} | **${Math.round(per1000).toLocaleString('en')} B** | ${((per1000 * 86400) / 1e9).toFixed(1)} GB |`;
}

/** Shared by the edge benchmarks: devices, /proc readings, the RESULTS.md section writer. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function benchModel(props: number) {
  return {
    apiVersion: 'devices.kubeedge.io/v1beta1',
    kind: 'DeviceModel',
    metadata: { name: 'bench-meter', namespace: 'default' },
    spec: {
      protocol: 'modbus',
      properties: Array.from({ length: props }, (_, p) => ({
        name: `p${p}`,
        type: 'FLOAT',
        accessMode: 'ReadOnly',
        cleansing: { range: { min: -1000, max: 1000, action: 'reject' }, smoothing: { method: 'ema', alpha: 0.5 } },
      })),
    },
  };
}

export function benchDevice(i: number, props: number, port = 5020) {
  return {
    apiVersion: 'devices.kubeedge.io/v1beta1',
    kind: 'Device',
    metadata: { name: `dev-${i}`, namespace: 'default' },
    spec: {
      deviceModelRef: { name: 'bench-meter' },
      protocol: { protocolName: 'modbus', configData: { communicateMode: 'TCP', ip: '127.0.0.1', port, slaveID: 1 } },
      properties: Array.from({ length: props }, (_, p) => ({
        name: `p${p}`,
        reportToCloud: p % 2 === 0,
        collectCycle: 1000,
        visitors: { protocolName: 'modbus', configData: { register: 'HoldingRegister', offset: p * 2, limit: 2, rawType: 'float32' } },
      })),
    },
  };
}

/** write_bytes (reached the block layer) and wchar (passed to write()) of a process. */
export function procIo(pid: number | 'self' = 'self'): { writeBytes: number; wchar: number } {
  const text = readFileSync(`/proc/${pid}/io`, 'utf8');
  const get = (k: string) => Number(new RegExp(`^${k}: (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { writeBytes: get('write_bytes'), wchar: get('wchar') };
}

export function rssMb(pid: number | 'self' = 'self'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? NaN) / 1024;
}

/** Replaces (or adds) `## Edge node` in bench/RESULTS.md, keeping every other section. */
export function writeEdgeSection(subsection: string, body: string): void {
  const file = join(import.meta.dirname, 'RESULTS.md');
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const header = '## Edge node';
  const start = text.indexOf(`\n${header}\n`);
  let section: string;
  if (start < 0) {
    section = `${header}\n\n<!-- written by bench/edge-*.bench.ts -->\n`;
    text = `${text.trimEnd()}\n\n${section}`;
  }
  const from = text.indexOf(`\n${header}\n`) + 1;
  const next = text.indexOf('\n## ', from + header.length);
  section = text.slice(from, next < 0 ? undefined : next + 1);
  const subHeader = `### ${subsection}`;
  const subStart = section.indexOf(`${subHeader}\n`);
  const replacement = `${subHeader}\n\n${body.trim()}\n\n`;
  if (subStart < 0) section = `${section.trimEnd()}\n\n${replacement}`;
  else {
    const subEnd = section.indexOf('\n### ', subStart + subHeader.length);
    section = section.slice(0, subStart) + replacement + (subEnd < 0 ? '' : section.slice(subEnd + 1));
  }
  text = text.slice(0, from) + section.trimEnd() + '\n' + (next < 0 ? '' : '\n' + text.slice(next + 1));
  writeFileSync(file, text.trimEnd() + '\n');
}

/** Shared by the edge benchmarks: devices, /proc readings, the RESULTS.md section writer. */
import { readFileSync } from 'node:fs';
import { writeResultsSubsection } from './results-file.js';

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
        visitors: {
          protocolName: 'modbus',
          configData: { register: 'HoldingRegister', offset: p * 2, limit: 2, rawType: 'float32' },
        },
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

/** Replaces (or adds) `### <subsection>` in `## Edge node` of bench/RESULTS.md. */
export function writeEdgeSection(subsection: string, body: string): void {
  writeResultsSubsection('## Edge node', 'bench/edge-*.bench.ts', subsection, body);
}

/** Helpers of bench/e2e.bench.ts: devices for the simulator, /proc CPU, the RESULTS.md section. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** One model with `props` uint16 holding registers (one Modbus read per device and cycle). */
export function e2eDevicesYaml(node: string, devices: number, props: number, periodMs: number, port: number): string {
  const model = {
    apiVersion: 'devices.kubeedge.io/v1beta1',
    kind: 'DeviceModel',
    metadata: { name: 'e2e-bench', namespace: 'default' },
    spec: {
      protocol: 'modbus',
      properties: Array.from({ length: props }, (_, p) => ({ name: `p${p}`, type: 'INT', accessMode: 'ReadOnly', minimum: '0', maximum: '60000' })),
    },
  };
  const docs = [stringify(model)];
  for (let d = 0; d < devices; d++) {
    docs.push(
      stringify({
        apiVersion: 'devices.kubeedge.io/v1beta1',
        kind: 'Device',
        metadata: { name: `bench-${d}`, namespace: 'default' },
        spec: {
          deviceModelRef: { name: 'e2e-bench' },
          nodeName: node,
          protocol: { protocolName: 'modbus', configData: { communicateMode: 'TCP', ip: '127.0.0.1', port, slaveID: d + 1, timeoutMs: 1000 } },
          properties: Array.from({ length: props }, (_, p) => ({
            name: `p${p}`,
            collectCycle: periodMs,
            reportCycle: periodMs,
            reportToCloud: true,
            visitors: { protocolName: 'modbus', configData: { register: 'HoldingRegister', offset: p, limit: 1, rawType: 'uint16', dataType: 'int' } },
          })),
        },
      }),
    );
  }
  return docs.join('---\n');
}

/** utime + stime of a process in ms (from /proc; 0 when it is gone). */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return 0;
  }
}

export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Replaces (or adds) `### <subsection>` inside `## End to end` of bench/RESULTS.md, nothing else. */
export function writeE2eSection(subsection: string, body: string): void {
  const file = join(import.meta.dirname, 'RESULTS.md');
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const header = '## End to end';
  if (!text.includes(`\n${header}\n`)) text = `${text.trimEnd()}\n\n${header}\n\n<!-- written by bench/e2e.bench.ts -->\n`;
  const from = text.indexOf(`\n${header}\n`) + 1;
  const next = text.indexOf('\n## ', from + header.length);
  let section = text.slice(from, next < 0 ? undefined : next + 1);
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

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { demoErrors } from './errors.js';

export type DemoProtocol = 'modbus' | 'opcua' | 'serial';

/** Where the demo's simulators listen; the demo Devices are rewritten to point there. */
export interface DemoEndpoints {
  node: string;
  modbusPort?: number;
  opcuaPort?: number;
  /** The mapper's end of a pty pair (the simulator has the other end). */
  serialPath?: string;
}

export interface DemoDevice {
  protocol: DemoProtocol;
  /** `<namespace>/<name>` of the Device. */
  id: string;
  /** The prepared YAML (DeviceModel + Device) in the demo's folder. */
  file: string;
  /** Properties whose value the demo suggests changing with `kedge twin set`. */
  writable: Array<{ name: string; type: string }>;
}

/** The library models the demo runs: one per protocol. */
export const DEMO_MODELS: Record<DemoProtocol, string> = {
  modbus: 'moxa-iologik-e1214.yaml',
  opcua: 'unified-automation-uacppserver.yaml',
  serial: 'vaisala-hmp240.yaml',
};

/** The demo polls at most this slowly, so that the table moves (library Devices poll some values every 15 min). */
const DEMO_MAX_CYCLE_MS = 2000;

/** A Device or DeviceModel as YAML gives it: only the fields the demo rewrites or reads are typed. */
type Doc = {
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  spec?: {
    nodeName?: string;
    protocol?: { configData?: Record<string, unknown> };
    properties?: Array<Record<string, unknown>>;
  };
};

/**
 * Copies a library file to `outDir` with its Device rewritten for this machine: the demo node,
 * the simulator's address, and short cycles. The DeviceModel is kept as it is.
 */
export async function prepareDemoDevice(
  modelsDir: string,
  outDir: string,
  protocol: DemoProtocol,
  ep: DemoEndpoints,
): Promise<DemoDevice> {
  const source = join(modelsDir, DEMO_MODELS[protocol]);
  let text: string;
  try {
    text = await readFile(source, 'utf8');
  } catch (err) {
    throw demoErrors.create('KEDGE_DEMO_NO_DEVICES', `cannot read ${source}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const docs = parseAllDocuments(text)
    .map((d) => d.toJS() as Doc)
    .filter((d) => d && typeof d === 'object');
  const model = docs.find((d) => d.kind === 'DeviceModel');
  const device = docs.find((d) => d.kind === 'Device');
  if (!model || !device?.spec || !device.metadata?.name)
    throw demoErrors.create('KEDGE_DEMO_NO_DEVICES', `${source} has no DeviceModel + Device pair`);
  device.spec.nodeName = ep.node;
  const config = device.spec.protocol?.configData ?? {};
  if (protocol === 'modbus') Object.assign(config, { ip: '127.0.0.1', port: ep.modbusPort });
  if (protocol === 'opcua') config.url = `opc.tcp://127.0.0.1:${ep.opcuaPort}`;
  if (protocol === 'serial') config.serialPort = ep.serialPath;
  for (const p of device.spec.properties ?? []) {
    for (const key of ['collectCycle', 'reportCycle']) {
      if (typeof p[key] === 'number') p[key] = Math.min(p[key] as number, DEMO_MAX_CYCLE_MS);
    }
  }
  const file = join(outDir, DEMO_MODELS[protocol]);
  await writeFile(file, `${stringify(model)}---\n${stringify(device)}`);
  const writable = ((model.spec?.properties ?? []) as Array<{ name: string; type: string; accessMode?: string }>)
    .filter((p) => p.accessMode === 'ReadWrite')
    .map((p) => ({ name: p.name, type: p.type }));
  return { protocol, id: `${device.metadata.namespace ?? 'default'}/${device.metadata.name}`, file, writable };
}

/** An example value for `kedge twin set` of a property of this type. */
export function exampleValue(type: string): string {
  switch (type.toUpperCase()) {
    case 'BOOLEAN':
      return 'true';
    case 'INT':
      return '42';
    case 'FLOAT':
    case 'DOUBLE':
      return '21.5';
    default:
      return 'hello';
  }
}

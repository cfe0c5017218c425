import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { demoErrors } from './errors.js';

/** The demo's devices: a remote I/O and an energy meter over Modbus TCP, OPC UA, a serial sensor. */
export type DemoDeviceKind = 'io' | 'meter' | 'opcua' | 'serial';
export type DemoProtocol = 'modbus' | 'opcua' | 'serial';

/** Where the demo's simulators listen; the demo Devices are rewritten to point there. */
export interface DemoEndpoints {
  node: string;
  modbusPort?: number;
  opcuaPort?: number;
  /** The mapper's end of a pty pair (the simulator has the other end). */
  serialPath?: string;
}

/** A property as the demo shows it (from the DeviceModel, in its order). */
export interface DemoProperty {
  name: string;
  type: string;
  unit?: string;
  writable: boolean;
}

export interface DemoDevice {
  kind: DemoDeviceKind;
  protocol: DemoProtocol;
  /** `<namespace>/<name>` of the Device. */
  id: string;
  /** The prepared YAML (DeviceModel + Device) in the demo's folder. */
  file: string;
  /** The properties the Device reads, in the model's order. */
  properties: DemoProperty[];
  /** Properties whose value the demo suggests changing with `kedge twin set`. */
  writable: Array<{ name: string; type: string }>;
  /** A property the simulator disturbs with spikes that cleansing rejects (the meter's voltage). */
  spiky?: string;
  /** The desired value the demo suggests setting (`kedge twin set`). */
  hint?: { property: string; value: string };
  /** Properties shown first in the device. */
  first: string[];
}

interface DemoSpec {
  file: string;
  protocol: DemoProtocol;
  /** The Modbus unit, when two demo devices share one simulator. */
  slaveID?: number;
  /** The desired value the demo suggests setting: a relay, whose switching the bitmask shows too. */
  hint?: { property: string; value: string };
  /** Shown first when the screen cannot show every property. */
  first?: string[];
  /**
   * Cleansing the demo adds to one property to show it at work: the simulator puts a surge on the
   * meter's voltage now and then; the spike rule rejects it and holdLast keeps the last good value.
   */
  spiky?: { property: string; cleansing: Record<string, unknown> };
}

/** The library models the demo runs. */
export const DEMO_DEVICES: Record<DemoDeviceKind, DemoSpec> = {
  io: {
    file: 'moxa-iologik-e1214.yaml',
    protocol: 'modbus',
    slaveID: 1,
    hint: { property: 'relay-2', value: 'true' },
    first: ['relay-2', 'relays-bitmask'],
  },
  meter: {
    file: 'eastron-sdm120.yaml',
    protocol: 'modbus',
    slaveID: 2,
    spiky: {
      property: 'voltage',
      cleansing: { spike: { maxStep: 20 }, holdLast: { staleAfterMs: 10_000 } },
    },
  },
  opcua: { file: 'unified-automation-uacppserver.yaml', protocol: 'opcua' },
  serial: { file: 'vaisala-hmp240.yaml', protocol: 'serial' },
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

type ModelProperty = { name: string; type: string; unit?: string; accessMode?: string };

/**
 * Copies a library file to `outDir` with its Device rewritten for this machine: the demo node,
 * the simulator's address, short cycles, and the demo's added cleansing. The DeviceModel is kept
 * as it is.
 */
export async function prepareDemoDevice(
  modelsDir: string,
  outDir: string,
  kind: DemoDeviceKind,
  ep: DemoEndpoints,
): Promise<DemoDevice> {
  const spec = DEMO_DEVICES[kind];
  const source = join(modelsDir, spec.file);
  const { model, device } = await readPair(source);
  device.spec!.nodeName = ep.node;
  const config = device.spec!.protocol?.configData ?? {};
  if (spec.protocol === 'modbus') {
    // The demo's simulator speaks Modbus TCP, whatever line the library device is wired to.
    for (const serialField of ['serialPort', 'baudRate', 'dataBits', 'parity', 'stopBits']) delete config[serialField];
    Object.assign(config, { communicateMode: 'TCP', ip: '127.0.0.1', port: ep.modbusPort });
  }
  if (spec.slaveID !== undefined) config.slaveID = spec.slaveID;
  if (spec.protocol === 'opcua') config.url = `opc.tcp://127.0.0.1:${ep.opcuaPort}`;
  if (spec.protocol === 'serial') config.serialPort = ep.serialPath;
  for (const p of device.spec!.properties ?? []) {
    for (const key of ['collectCycle', 'reportCycle']) {
      if (typeof p[key] === 'number') p[key] = Math.min(p[key] as number, DEMO_MAX_CYCLE_MS);
    }
    if (spec.spiky && p.name === spec.spiky.property) {
      p.cleansing = spec.spiky.cleansing;
      // Read every second: each surge (shorter than that) is read once, and rejected as a spike.
      Object.assign(p, { collectCycle: 1000, reportCycle: 1000 });
    }
  }
  const file = join(outDir, spec.file);
  await writeFile(file, `${stringify(model)}---\n${stringify(device)}`);
  const declared = (model.spec?.properties ?? []) as unknown as ModelProperty[];
  const read = new Set((device.spec!.properties ?? []).map((p) => p.name));
  const properties = declared
    .filter((p) => read.has(p.name))
    .map((p) => ({
      name: p.name,
      type: p.type,
      ...(p.unit ? { unit: p.unit } : {}),
      writable: p.accessMode === 'ReadWrite',
    }));
  return {
    kind,
    protocol: spec.protocol,
    id: `${device.metadata!.namespace ?? 'default'}/${device.metadata!.name}`,
    file,
    properties,
    writable: properties.filter((p) => p.writable).map((p) => ({ name: p.name, type: p.type })),
    ...(spec.spiky ? { spiky: spec.spiky.property } : {}),
    ...(spec.hint ? { hint: spec.hint } : {}),
    first: spec.first ?? (spec.spiky ? [spec.spiky.property] : []),
  };
}

async function readPair(source: string): Promise<{ model: Doc; device: Doc }> {
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
  return { model, device };
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

import { TypeCompiler } from '@sinclair/typebox/compiler';
import { errorText } from '../../core/errors/index.js';
import {
  DeviceModelSchema,
  DeviceSchema,
  checkCleansingRules,
  namespaceOf,
  resolveDeviceInstance,
  type Device,
  type DeviceModel,
  type CleansingRules,
} from '../../model/index.js';

const deviceCheck = TypeCompiler.Compile(DeviceSchema);
const modelCheck = TypeCompiler.Compile(DeviceModelSchema);

export type Checked = { kind: 'Device'; object: Device } | { kind: 'DeviceModel'; object: DeviceModel };

/** Checks one document against the one schema; returns the problems, each naming the document. */
export function checkDocument(doc: unknown, index: number): { checked?: Checked; problems: string[] } {
  const kind = (doc as { kind?: unknown } | null)?.kind;
  const name = describe(doc, index);
  if (kind === 'Device') {
    if (!deviceCheck.Check(doc))
      return {
        problems: [...deviceCheck.Errors(doc)].slice(0, 5).map((e) => `${name}: ${e.path || '/'}: ${e.message}`),
      };
    const problems: string[] = [];
    for (const p of doc.spec.properties ?? []) {
      if (p.cleansing)
        problems.push(...cleansingProblems(p.cleansing).map((m) => `${name}: property ${p.name}: cleansing: ${m}`));
    }
    return problems.length > 0 ? { problems } : { checked: { kind, object: doc }, problems: [] };
  }
  if (kind === 'DeviceModel') {
    if (!modelCheck.Check(doc))
      return {
        problems: [...modelCheck.Errors(doc)].slice(0, 5).map((e) => `${name}: ${e.path || '/'}: ${e.message}`),
      };
    const problems: string[] = [];
    for (const p of doc.spec.properties ?? []) {
      if (p.cleansing)
        problems.push(...cleansingProblems(p.cleansing).map((m) => `${name}: property ${p.name}: cleansing: ${m}`));
    }
    return problems.length > 0 ? { problems } : { checked: { kind, object: doc }, problems: [] };
  }
  return { problems: [`${name}: kind must be Device or DeviceModel, found ${JSON.stringify(kind)}`] };
}

/** Resolves a device against its model (from the same request or the store). */
export function checkResolves(device: Device, model: DeviceModel | undefined): string | undefined {
  const id = `${namespaceOf(device.metadata)}/${device.metadata.name}`;
  if (!model)
    return `Device ${id}: DeviceModel ${device.spec.deviceModelRef.name} is neither applied nor in this request`;
  try {
    resolveDeviceInstance(device, model);
    return undefined;
  } catch (err) {
    return `Device ${id}: ${errorText(err)}`;
  }
}

function cleansingProblems(rules: CleansingRules): string[] {
  return checkCleansingRules(rules).map((p) => p.message);
}

function describe(doc: unknown, index: number): string {
  const d = doc as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | null;
  const name = typeof d?.metadata?.name === 'string' ? d.metadata.name : '?';
  const ns = typeof d?.metadata?.namespace === 'string' ? d.metadata.namespace : 'default';
  return `document ${index + 1} (${typeof d?.kind === 'string' ? d.kind : 'unknown kind'} ${ns}/${name})`;
}

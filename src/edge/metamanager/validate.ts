import type { Static, TSchema } from '@sinclair/typebox';
import { errorText } from '../../core/errors/index.js';
import {
  DeviceModelSchema,
  DeviceSchema,
  checkCleansingRules,
  checkSchema,
  namespaceOf,
  resolveDeviceInstance,
  stripNulls,
  type Device,
  type DeviceModel,
  type CleansingRules,
} from '../../model/index.js';

export type Checked = { kind: 'Device'; object: Device } | { kind: 'DeviceModel'; object: DeviceModel };

/**
 * Checks one document against the one schema; returns the problems, each naming the document.
 * Null fields are absent first, as the Kubernetes API server drops them (KubeEdge's counter demo
 * has a `configData:` with only a comment), and as `kedge validate` reads them.
 */
export function checkDocument(input: unknown, index: number): { checked?: Checked; problems: string[] } {
  const doc = stripNulls(input);
  const kind = (doc as { kind?: unknown } | null)?.kind;
  const name = describe(doc, index);
  if (kind === 'Device') {
    const r = checkedAs(DeviceSchema, doc, name);
    return 'problems' in r ? r : withCleansing({ kind, object: r.value }, r.value.spec.properties, name);
  }
  if (kind === 'DeviceModel') {
    const r = checkedAs(DeviceModelSchema, doc, name);
    return 'problems' in r ? r : withCleansing({ kind, object: r.value }, r.value.spec.properties, name);
  }
  return { problems: [`${name}: kind must be Device or DeviceModel, found ${JSON.stringify(kind)}`] };
}

/** The document typed, or up to five errors as `kedge validate` words them. */
function checkedAs<S extends TSchema>(
  schema: S,
  doc: unknown,
  name: string,
): { value: Static<S> } | { problems: string[] } {
  const { valid, problems } = checkSchema(schema, doc);
  if (valid) return { value: doc as Static<S> };
  const errors = problems.filter((p) => p.severity === 'error').slice(0, 5);
  return {
    problems: errors.length > 0 ? errors.map((p) => `${name}: ${p.message}`) : [`${name}: does not match the schema`],
  };
}

function withCleansing(
  checked: Checked,
  properties: Array<{ name: string; cleansing?: CleansingRules | undefined }> | undefined,
  name: string,
): { checked?: Checked; problems: string[] } {
  const problems: string[] = [];
  for (const p of properties ?? []) {
    if (p.cleansing)
      problems.push(...cleansingProblems(p.cleansing).map((m) => `${name}: property ${p.name}: cleansing: ${m}`));
  }
  return problems.length > 0 ? { problems } : { checked, problems: [] };
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

import type { YamlDocument } from '../core/yaml/index.js';
import { closest } from './describe-schema.js';
import { normalizePropertyType } from './property-type.js';
import { checkSchema, isPlainObject, type Path, type SchemaProblem } from './schema-check.js';
import { checkPodRules } from './pod-rules.js';
import { POD_API_VERSION, PodSchema, type Pod } from './pod.js';
import {
  API_GROUP,
  API_VERSION,
  DeviceModelSchema,
  DeviceSchema,
  DeviceStatusSchema,
  type Device,
  type DeviceModel,
} from './schema.js';
import { V1ALPHA2 } from './v1alpha2.js';

/** A document's problems, positioned later by the caller (it owns the YamlDocument). */
export interface DocumentProblem extends SchemaProblem {}

export type ClassifiedDocument =
  | { kind: 'Device'; value: Device; valid: boolean; problems: DocumentProblem[] }
  | { kind: 'DeviceModel'; value: DeviceModel; valid: boolean; problems: DocumentProblem[] }
  | { kind: 'Pod'; value: Pod; valid: boolean; problems: DocumentProblem[] }
  | { kind: 'other'; problems: DocumentProblem[] };

const KIND_HINT = `expected a Kubernetes object with apiVersion ${API_VERSION}, kind Device or DeviceModel (or a v1 Pod), metadata and spec`;

/**
 * Decides what a YAML document is and checks it against the Device or DeviceModel schema, after the
 * normalizations the Kubernetes API server would do (null fields are absent) and kedge's own
 * (property types in any case).
 */
export function checkDocument(doc: YamlDocument): ClassifiedDocument {
  const raw = doc.value;
  if (!isPlainObject(raw)) {
    return { kind: 'other', problems: [error([], `document ${doc.index + 1} is ${describeRoot(raw)}; ${KIND_HINT}`)] };
  }
  const value = stripNulls(raw) as Record<string, unknown>;
  const { kind, apiVersion } = value;
  if (kind === undefined) return { kind: 'other', problems: [error([], `kind is missing; ${KIND_HINT}`)] };
  if (typeof kind !== 'string')
    return {
      kind: 'other',
      problems: [error(['kind'], `kind must be a string such as Device, got ${JSON.stringify(kind)}`)],
    };
  if (kind === 'Pod') return checkPod(value);
  if (kind === 'DeviceStatus') return checkDeviceStatus(value);
  if (kind !== 'Device' && kind !== 'DeviceModel') return { kind: 'other', problems: [unknownKind(kind, apiVersion)] };
  if (apiVersion === undefined)
    return { kind: 'other', problems: [error([], `apiVersion is missing; expected ${API_VERSION}`)] };
  if (apiVersion !== API_VERSION) {
    const text = typeof apiVersion === 'string' ? apiVersion : JSON.stringify(apiVersion);
    if (apiVersion === V1ALPHA2) {
      return {
        kind: 'other',
        problems: [
          error(
            ['apiVersion'],
            `apiVersion ${text} is KubeEdge's format before v1.15, which kedge does not read: convert it to ${API_VERSION} with \`kedge convert ${doc.file}\``,
          ),
        ],
      };
    }
    if (typeof apiVersion === 'string' && apiVersion.startsWith(`${API_GROUP}/`)) {
      return {
        kind: 'other',
        problems: [
          error(
            ['apiVersion'],
            `apiVersion ${text} is an older KubeEdge format kedge does not read: this ${kind} would not be applied (rewrite it as ${API_VERSION})`,
          ),
        ],
      };
    }
    return {
      kind: 'other',
      problems: [warning(['apiVersion'], `apiVersion ${text} is not ${API_VERSION}; this ${kind} is ignored`)],
    };
  }
  const problems: DocumentProblem[] = [];
  if (kind === 'DeviceModel') normalizeTypes(value, problems);
  const schema = kind === 'Device' ? DeviceSchema : DeviceModelSchema;
  const result = checkSchema(schema, value);
  problems.push(...result.problems);
  return kind === 'Device'
    ? { kind, value: value as Device, valid: result.valid, problems }
    : { kind, value: value as DeviceModel, valid: result.valid, problems };
}

/** A Pod (core/v1) against the part of it Edged runs, then the rules a schema cannot say. */
function checkPod(value: Record<string, unknown>): ClassifiedDocument {
  if (value['apiVersion'] !== POD_API_VERSION) {
    const text = JSON.stringify(value['apiVersion']);
    return { kind: 'other', problems: [error(['apiVersion'], `apiVersion ${text} of a Pod must be v1`)] };
  }
  const result = checkSchema(PodSchema, value);
  const problems: DocumentProblem[] = [...result.problems];
  const rules = result.valid ? checkPodRules(value as Pod) : [];
  problems.push(...rules);
  const valid = result.valid && !rules.some((p) => p.severity === 'error');
  return { kind: 'Pod', value: value as Pod, valid, problems };
}

/**
 * KubeEdge v1.23's DeviceStatus (what `kubectl get devicestatus -o yaml` gives) is read and
 * checked, and not applied: kedge writes it for each Device from what the edge reports.
 */
function checkDeviceStatus(value: Record<string, unknown>): ClassifiedDocument {
  if (value['apiVersion'] !== API_VERSION) {
    const text = JSON.stringify(value['apiVersion']);
    return {
      kind: 'other',
      problems: [error(['apiVersion'], `apiVersion ${text} of a DeviceStatus must be ${API_VERSION}`)],
    };
  }
  const result = checkSchema(DeviceStatusSchema, value);
  return {
    kind: 'other',
    problems: [
      ...result.problems,
      warning(
        ['kind'],
        'DeviceStatus is the observed state kedge keeps for each Device, written from what its edge reports; this one was checked and is not applied',
      ),
    ],
  };
}

const KINDS = ['Device', 'DeviceModel', 'DeviceStatus', 'Pod'];

/**
 * Another Kubernetes kind (a ConfigMap next to the devices) is skipped with a warning. A kind that
 * is a misspelling of ours, or any other kind in our API group, was meant to be applied: skipping
 * it would apply half the file (the model without its device), so it is an error.
 */
function unknownKind(kind: string, apiVersion: unknown): DocumentProblem {
  const meant = closest(kind, KINDS);
  if (meant) return error(['kind'], `kind ${kind} is not a kind kedge knows; did you mean ${meant}?`);
  if (typeof apiVersion === 'string' && apiVersion.startsWith(`${API_GROUP}/`))
    return error(['kind'], `kind ${kind} is not a kind of ${API_GROUP}; expected Device or DeviceModel`);
  return warning(['kind'], `kind ${kind} is not a Device, DeviceModel or Pod; ignored`);
}

/** `type: float` -> `FLOAT`, with a warning: KubeEdge's CRD (and so the Kubernetes API) accepts upper case only. */
function normalizeTypes(model: Record<string, unknown>, problems: DocumentProblem[]): void {
  const spec = model['spec'];
  if (!isPlainObject(spec) || !Array.isArray(spec['properties'])) return;
  spec['properties'].forEach((p: unknown, i) => {
    if (!isPlainObject(p) || typeof p['type'] !== 'string') return;
    const normalized = normalizePropertyType(p['type']);
    if (normalized && normalized !== p['type']) {
      problems.push(
        warning(
          ['spec', 'properties', i, 'type'],
          `spec.properties[${i}].type: ${p['type']} read as ${normalized}; write ${normalized}, the only form the Kubernetes API accepts`,
        ),
      );
      p['type'] = normalized;
    }
  });
}

/** A copy without null-valued map entries (`configData:` with only a comment is absent, as in Kubernetes). */
export function stripNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripNulls);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = stripNulls(v);
  return out;
}

function describeRoot(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string')
    return `plain text (${JSON.stringify(value.length > 30 ? `${value.slice(0, 27)}...` : value)})`;
  return `a ${typeof value} (${String(value)})`;
}

function error(path: Path, message: string): DocumentProblem {
  return { path, message, severity: 'error', at: 'value' };
}

function warning(path: Path, message: string): DocumentProblem {
  return { path, message, severity: 'warning', at: 'value' };
}

import type { Diagnostic } from '../core/yaml/index.js';
import type { Device, DeviceModel } from './schema.js';
import { validateSources } from './validate-lazy.js';
import type { Pod } from './pod.js';
import type { Source } from './validate.js';

/** A model already stored where the documents are applied (the cloud's store, the edge's MetaManager). */
export interface StoredModel {
  metadata: { name: string; namespace?: string | undefined; [k: string]: unknown };
  [k: string]: unknown;
}

export interface ApplyCheck {
  /** Models first (a Device's model must exist when it is applied), then devices. */
  models: DeviceModel[];
  devices: Device[];
  /** Pods (core/v1, the part Edged runs), applied after the devices. */
  pods: Pod[];
  /** Of the given sources only (positions in their text), errors and warnings. */
  diagnostics: Diagnostic[];
  errors: Diagnostic[];
}

const key = (m: { metadata: { name: string; namespace?: string | undefined } }) =>
  `${m.metadata.namespace ?? 'default'}/${m.metadata.name}`;

/**
 * The checks of `kedge validate` for documents about to be applied (YAML text with positions, or
 * objects as JSON), with the stored models counting for references unless the sources redefine
 * them. What `POST /api/v1/apply` and `POST /api/v1/validate` answer from, on the cloud and the edge.
 */
export async function checkForApply(sources: Source[], stored: readonly StoredModel[]): Promise<ApplyCheck> {
  let result = await validateSources(sources);
  const defined = new Set(result.models.map(key));
  const context = stored.filter((m) => !defined.has(key(m))).map(contextSource);
  if (context.length > 0 && result.devices.length > 0) result = await validateSources([...sources, ...context]);
  const own = new Set(sources.map((s) => s.file));
  const diagnostics = result.diagnostics.filter((d) => own.has(d.file));
  const contextNames = new Set(context.map((c) => c.file));
  return {
    models: result.models.filter((m) => !contextNames.has(storeName(m))),
    devices: result.devices,
    pods: result.pods,
    diagnostics,
    errors: diagnostics.filter((d) => d.severity === 'error'),
  };
}

function storeName(m: { metadata: { name: string; namespace?: string | undefined } }): string {
  return `store:DeviceModel/${key(m)}`;
}

function contextSource(m: StoredModel): Source {
  const { resourceVersion: _rv, generation: _g, uid: _u, creationTimestamp: _c, ...metadata } = m.metadata;
  return { file: storeName(m), content: JSON.stringify({ ...m, metadata }) };
}

import type { YamlDocument } from '../core/yaml/index.js';
import { checkCleansingRules, type CleansingRules } from './cleansing/index.js';
import { MAX_CYCLE_MS, normalizeCycle } from './cycles.js';
import { formatPath } from './describe-schema.js';
import { writeLimitsFor, type WriteLimits } from './protocols/index.js';
import { normalizeDesired } from './desired-value.js';
import { mergeModelDefaults } from './merge.js';
import { parsePropertyValue, type PropertyType, type PropertyValue } from './property-type.js';
import { boundOf, DEFAULT_ACCESS_MODE, namespaceOf } from './resolve.js';
import type { Path } from './schema-check.js';
import type { Device, DeviceModel, ModelProperty } from './schema.js';
import { checkPushMethods } from './validate-push.js';
import { checkProtocol } from './validate-protocol.js';
import type { Report } from './validate-report.js';

export interface Entry<T> {
  doc: YamlDocument;
  value: T;
  /** Passed its schema; only valid documents are checked further. */
  valid: boolean;
}

/** Checks that need more than one document, or more than a schema: references, names, values. */
export function checkReferences(
  devices: Entry<Device>[],
  models: Entry<DeviceModel>[],
  report: Report,
  modelsElsewhere = false,
): Map<Entry<Device>, Entry<DeviceModel>> {
  checkDuplicates([...models, ...devices], report);
  const modelByKey = new Map<string, Entry<DeviceModel>>();
  for (const m of models) {
    const key = idOf(m.value);
    if (key !== undefined && !modelByKey.has(key)) modelByKey.set(key, m);
    if (m.valid) checkModel(m, report);
  }
  const resolved = new Map<Entry<Device>, Entry<DeviceModel>>();
  for (const d of devices) {
    if (!d.valid) continue;
    const model = findModel(d, modelByKey, models, modelsElsewhere ? undefined : report);
    const properties = model?.valid ? propertyMap(model.value) : undefined;
    // Protocol settings are checked as the mapper will get them: with the model's defaults merged in.
    const effective = model?.valid ? mergeModelDefaults(d.value, model.value) : d.value;
    if (model?.valid) {
      checkDeviceAgainstModel(d, model, properties!, report);
      resolved.set(d, model);
    }
    checkProtocol(d.doc, effective, properties, report, d.value);
    checkDeviceProperties(d, report);
    checkPushMethods(d, effective.spec.protocol?.protocolName ?? '', report);
  }
  return resolved;
}

function checkDuplicates(entries: Entry<Device | DeviceModel>[], report: Report): void {
  const first = new Map<string, Entry<Device | DeviceModel>>();
  for (const e of entries) {
    const id = idOf(e.value);
    if (id === undefined) continue;
    const key = `${e.value.kind} ${id}`;
    const earlier = first.get(key);
    if (earlier)
      report.error(
        e.doc,
        ['metadata', 'name'],
        `duplicate ${key}, already defined at ${report.where(earlier.doc, ['metadata', 'name'])}`,
      );
    else first.set(key, e);
  }
}

/** `<namespace>/<name>`, or undefined when an invalid document has no usable metadata. */
function idOf(value: Device | DeviceModel): string | undefined {
  const meta: unknown = value.metadata;
  if (meta === null || typeof meta !== 'object') return undefined;
  const { name, namespace } = meta as { name?: unknown; namespace?: unknown };
  if (typeof name !== 'string') return undefined;
  return `${typeof namespace === 'string' ? namespace : 'default'}/${name}`;
}

function propertyMap(model: DeviceModel): Map<string, ModelProperty> {
  return new Map((model.spec.properties ?? []).map((p) => [p.name, p]));
}

function checkModel({ doc, value }: Entry<DeviceModel>, report: Report): void {
  const properties = value.spec.properties ?? [];
  duplicateNames(doc, properties, ['spec', 'properties'], 'property', report);
  properties.forEach((p, i) => {
    const at: Path = ['spec', 'properties', i];
    const min = boundOf(p.minimum);
    const max = boundOf(p.maximum);
    if (min !== undefined && max !== undefined && min > max)
      report.error(doc, [...at, 'minimum'], `minimum ${min} is greater than maximum ${max}`);
    if ((p.minimum !== undefined || p.maximum !== undefined) && !['INT', 'FLOAT', 'DOUBLE'].includes(p.type)) {
      report.warning(
        doc,
        [...at, p.minimum !== undefined ? 'minimum' : 'maximum'],
        `minimum/maximum apply to numeric types; ${p.type} ignores them`,
      );
    }
    if (p.accessMode === undefined) {
      report.warning(
        doc,
        [...at, 'name'],
        `property ${p.name} has no accessMode; read as ${DEFAULT_ACCESS_MODE} (desired values are never written). Write accessMode: ReadWrite or ReadOnly`,
      );
    }
    if (p.cleansing) checkCleansing(doc, p.cleansing, [...at, 'cleansing'], report);
  });
}

function findModel(
  d: Entry<Device>,
  byKey: Map<string, Entry<DeviceModel>>,
  all: Entry<DeviceModel>[],
  report: Report | undefined,
): Entry<DeviceModel> | undefined {
  const namespace = namespaceOf(d.value.metadata);
  const name = d.value.spec.deviceModelRef.name;
  const model = byKey.get(`${namespace}/${name}`);
  if (model || !report) return model;
  const elsewhere = all.filter((m) => idOf(m.value)?.endsWith(`/${name}`)).map((m) => idOf(m.value)!.split('/')[0]);
  const hint =
    elsewhere.length > 0
      ? `; a DeviceModel ${name} exists in namespace ${elsewhere.join(', ')}, but a Device can only use a model of its own namespace`
      : all.length > 0
        ? ` (models given: ${[...byKey.keys()].join(', ')})`
        : '; pass the file that defines it too (kedge validate device.yaml model.yaml)';
  report.error(
    d.doc,
    ['spec', 'deviceModelRef', 'name'],
    `DeviceModel ${name} not found in namespace ${namespace} among the given files${hint}`,
  );
  return undefined;
}

function checkDeviceAgainstModel(
  d: Entry<Device>,
  m: Entry<DeviceModel>,
  declared: Map<string, ModelProperty>,
  report: Report,
): void {
  const { doc, value } = d;
  const modelName = m.value.metadata.name;
  const modelProtocol = m.value.spec.protocol || undefined;
  const protocol = value.spec.protocol?.protocolName || undefined;
  if (modelProtocol !== undefined && protocol !== undefined && modelProtocol.toLowerCase() !== protocol.toLowerCase()) {
    report.error(
      doc,
      ['spec', 'protocol', 'protocolName'],
      `expected ${modelProtocol} (the protocol of DeviceModel ${modelName}), got ${protocol}`,
    );
  } else if (protocol === undefined && modelProtocol !== undefined) {
    report.warning(
      doc,
      ['spec', 'protocol'],
      `no protocolName; read as ${modelProtocol}, the protocol of DeviceModel ${modelName}`,
    );
  } else if (protocol === undefined) {
    report.warning(
      doc,
      ['spec'],
      `neither the Device nor DeviceModel ${modelName} names a protocol: no mapper will serve this device (its twin is updated over MQTT only)`,
    );
  }
  const known = [...declared.keys()].join(', ') || 'none';
  (value.spec.properties ?? []).forEach((p, i) => {
    const at: Path = ['spec', 'properties', i];
    const model = declared.get(p.name);
    if (!model) {
      report.error(
        doc,
        [...at, 'name'],
        `property ${p.name} is not declared in DeviceModel ${modelName} (its properties: ${known})`,
      );
      return;
    }
    if (p.desired !== undefined) {
      // The visitor and protocol the mapper will get: the model's visitor and protocol merged in.
      const modelVisitor = (model.visitors?.configData ?? {}) as Record<string, unknown>;
      const visitor = { ...modelVisitor, ...(p.visitors?.configData ?? {}) } as Record<string, unknown>;
      const limits = writeLimitsFor(protocol ?? modelProtocol ?? '', visitor, model.type.toUpperCase());
      checkDesired(doc, p.desired.value, model, [...at, 'desired'], report, limits);
    }
  });
  (value.spec.methods ?? []).forEach((method, i) => {
    (method.propertyNames ?? []).forEach((name, j) => {
      if (!declared.has(name))
        report.error(
          doc,
          ['spec', 'methods', i, 'propertyNames', j],
          `method ${method.name} names property ${name}, which DeviceModel ${modelName} does not declare (its properties: ${known})`,
        );
    });
  });
}

function checkDesired(
  doc: YamlDocument,
  text: string,
  model: ModelProperty,
  at: Path,
  report: Report,
  limits: WriteLimits | undefined,
): void {
  if ((model.accessMode ?? DEFAULT_ACCESS_MODE) === 'ReadOnly') {
    report.warning(
      doc,
      at,
      `property ${model.name} is ${model.accessMode ?? `${DEFAULT_ACCESS_MODE} (no accessMode)`} in its DeviceModel; the desired value is never written`,
    );
  }
  let value: PropertyValue;
  try {
    value = parsePropertyValue(model.type, text);
  } catch (err) {
    report.error(doc, [...at, 'value'], `${(err as Error).message} (property ${model.name} is ${model.type})`);
    return;
  }
  const min = boundOf(model.minimum);
  const max = boundOf(model.maximum);
  if (typeof value === 'number' && ((min !== undefined && value < min) || (max !== undefined && value > max))) {
    report.error(doc, [...at, 'value'], `${value} is outside the property's range [${min ?? '-inf'}, ${max ?? 'inf'}]`);
    return;
  }
  try {
    // What `kedge twin set` would refuse: more than the device's register holds, or between its steps.
    const type = model.type.toUpperCase() as PropertyType;
    normalizeDesired({ name: model.name, type, minimum: min, maximum: max, unit: model.unit }, text, limits);
  } catch (err) {
    report.error(doc, [...at, 'value'], (err as Error).message);
  }
}

function checkDeviceProperties({ doc, value }: Entry<Device>, report: Report): void {
  const properties = value.spec.properties ?? [];
  duplicateNames(doc, properties, ['spec', 'properties'], 'property', report);
  duplicateNames(doc, value.spec.methods ?? [], ['spec', 'methods'], 'method', report);
  properties.forEach((p, i) => {
    for (const field of ['collectCycle', 'reportCycle'] as const) {
      const cycle = normalizeCycle(p[field]);
      if (cycle.ms > MAX_CYCLE_MS) {
        report.error(
          doc,
          ['spec', 'properties', i, field],
          `${p[field]} ms is longer than the longest cycle a timer can wait (${MAX_CYCLE_MS} ms, about 24.8 days)`,
        );
        continue;
      }
      if (cycle.convertedFromNs) {
        report.warning(
          doc,
          ['spec', 'properties', i, field],
          `${p[field]} is legacy nanoseconds (KubeEdge before v1.19); read as ${cycle.ms} ms. Write ${cycle.ms} to silence this warning`,
        );
      }
    }
    if (p.cleansing) checkCleansing(doc, p.cleansing, ['spec', 'properties', i, 'cleansing'], report);
  });
}

function duplicateNames(doc: YamlDocument, items: { name: string }[], at: Path, what: string, report: Report): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const first = seen.get(item.name);
    if (first === undefined) seen.set(item.name, i);
    else
      report.error(
        doc,
        [...at, i, 'name'],
        `duplicate ${what} name ${item.name}, already used by ${formatPath([...at, first])}`,
      );
  });
}

function checkCleansing(doc: YamlDocument, rules: CleansingRules, at: Path, report: Report): void {
  for (const problem of checkCleansingRules(rules)) {
    const path = [...at, ...problem.path];
    report.error(doc, path, problem.message);
  }
}

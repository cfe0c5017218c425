import { boundOf, normalizeDesired, writeLimitsFor, type PropertyType } from '../../model/index.js';
import type { ObjectStore, StoredObject } from '../store/index.js';
import { deviceControllerErrors } from './errors.js';
import { modelRefOf } from './node-sync.js';

interface SpecProperty {
  name: string;
  desired?: { value: string; metadata?: Record<string, string> };
  [k: string]: unknown;
}

/**
 * Writes desired values into Device `spec.properties[].desired.value` (the KubeEdge place), after
 * checking each against the model and the device: the property exists, is ReadWrite, and the value
 * fits its type, range and register (normalizeDesired); stored in its one spelling (`1` ->
 * `true`), so the read-back confirms it. Retries on a concurrent write (optimistic concurrency).
 */
export async function writeDesired(
  store: ObjectStore,
  namespace: string,
  name: string,
  values: Record<string, string>,
): Promise<StoredObject> {
  for (let attempt = 0; ; attempt++) {
    const device = await store.get('Device', namespace, name);
    if (!device)
      throw deviceControllerErrors.create(
        'KEDGE_DEVICECONTROLLER_UNKNOWN_DEVICE',
        `Device ${namespace}/${name} does not exist`,
      );
    const ref = modelRefOf(device);
    const model = ref ? await store.get('DeviceModel', namespace, ref) : undefined;
    const spec = { ...(device.spec as Record<string, unknown>) };
    const props = [...((spec.properties as SpecProperty[] | undefined) ?? [])];
    const protocol = (spec.protocol as { protocolName?: string } | undefined)?.protocolName;
    const checked = checkValues(`${namespace}/${name}`, model, values, (prop) => ({
      protocol,
      visitor: (props.find((p) => p.name === prop)?.visitors as { configData?: Record<string, unknown> } | undefined)
        ?.configData,
    }));
    for (const [prop, value] of Object.entries(checked)) {
      const i = props.findIndex((p) => p.name === prop);
      const desired = { ...(i >= 0 ? props[i]!.desired : {}), value };
      if (i >= 0) props[i] = { ...props[i]!, desired };
      else props.push({ name: prop, desired });
    }
    spec.properties = props;
    try {
      return await store.update({ ...device, spec });
    } catch (err) {
      if ((err as { code?: string }).code !== 'KEDGE_CLOUD_STORE_CONFLICT' || attempt >= 4) throw err;
    }
  }
}

interface ModelProp {
  name: string;
  type: string;
  accessMode?: string;
  minimum?: string;
  maximum?: string;
  unit?: string;
}

/** The values in their one spelling, each checked; throws naming the first that is refused. */
function checkValues(
  id: string,
  model: StoredObject | undefined,
  values: Record<string, string>,
  deviceSide: (prop: string) => { protocol: string | undefined; visitor: Record<string, unknown> | undefined },
): Record<string, string> {
  if (Object.keys(values).length === 0) {
    throw deviceControllerErrors.create('KEDGE_DEVICECONTROLLER_BAD_DESIRED', `Device ${id}: no properties given`);
  }
  const props = (model?.spec as { properties?: ModelProp[] } | undefined)?.properties ?? [];
  const out: Record<string, string> = {};
  for (const [prop, value] of Object.entries(values)) {
    if (typeof value !== 'string') {
      throw deviceControllerErrors.create(
        'KEDGE_DEVICECONTROLLER_BAD_DESIRED',
        `Device ${id}: desired value of ${prop} must be a string, got ${typeof value}`,
      );
    }
    const def = props.find((p) => p.name === prop);
    out[prop] = value;
    if (!model) continue; // no model yet: the edge checks when it resolves the device
    if (!def) {
      throw deviceControllerErrors.create(
        'KEDGE_DEVICECONTROLLER_BAD_DESIRED',
        `Device ${id}: property ${prop} is not in DeviceModel ${model.metadata.name} (has: ${props.map((p) => p.name).join(', ') || 'none'})`,
      );
    }
    if (def.accessMode !== 'ReadWrite') {
      throw deviceControllerErrors.create(
        'KEDGE_DEVICECONTROLLER_BAD_DESIRED',
        `Device ${id}: property ${prop} is ${def.accessMode ?? 'ReadOnly'}; only ReadWrite properties take desired values`,
      );
    }
    const type = def.type.toUpperCase() as PropertyType;
    const { protocol, visitor } = deviceSide(prop);
    try {
      out[prop] = normalizeDesired(
        { name: prop, type, minimum: boundOf(def.minimum), maximum: boundOf(def.maximum), unit: def.unit },
        value,
        protocol && visitor ? writeLimitsFor(protocol, visitor, type) : undefined,
      );
    } catch (err) {
      throw deviceControllerErrors.create(
        'KEDGE_DEVICECONTROLLER_BAD_DESIRED',
        `Device ${id}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
  return out;
}

import { parsePropertyValue, type PropertyType } from '../../model/index.js';
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
 * checking each against the model: the property exists, is ReadWrite, and the value fits its type.
 * Retries on a concurrent write (optimistic concurrency).
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
    checkValues(`${namespace}/${name}`, model, values);
    const spec = { ...(device.spec as Record<string, unknown>) };
    const props = [...((spec.properties as SpecProperty[] | undefined) ?? [])];
    for (const [prop, value] of Object.entries(values)) {
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

function checkValues(id: string, model: StoredObject | undefined, values: Record<string, string>): void {
  if (Object.keys(values).length === 0) {
    throw deviceControllerErrors.create('KEDGE_DEVICECONTROLLER_BAD_DESIRED', `Device ${id}: no properties given`);
  }
  const props =
    (model?.spec as { properties?: Array<{ name: string; type: string; accessMode?: string }> } | undefined)
      ?.properties ?? [];
  for (const [prop, value] of Object.entries(values)) {
    if (typeof value !== 'string') {
      throw deviceControllerErrors.create(
        'KEDGE_DEVICECONTROLLER_BAD_DESIRED',
        `Device ${id}: desired value of ${prop} must be a string, got ${typeof value}`,
      );
    }
    const def = props.find((p) => p.name === prop);
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
    try {
      parsePropertyValue(def.type.toUpperCase() as PropertyType, value);
    } catch (err) {
      throw deviceControllerErrors.create(
        'KEDGE_DEVICECONTROLLER_BAD_DESIRED',
        `Device ${id}: property ${prop}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
}

import type { Logger } from 'pino';
import type { EdgeDevice } from '../../contracts/index.js';
import { errorText } from '../../core/errors/index.js';
import { namespaceOf, resolveDeviceInstance, type Device, type DeviceModel } from '../../model/index.js';
import type { MetaStore } from '../store/index.js';
import { metaKey } from './keys.js';

/**
 * The node's resolved device set from what is stored: devices of this node (or with no node)
 * joined with their model. A device that cannot be resolved is left out and logged once per
 * reason, so one bad object never takes the others down.
 */
export function resolveDeviceSet(
  store: MetaStore,
  node: string,
  logger: Logger,
  warned: Set<string>,
): Map<string, EdgeDevice> {
  const out = new Map<string, EdgeDevice>();
  for (const rec of store.list('device')) {
    const device = rec.value as Device;
    if (device.spec.nodeName !== undefined && device.spec.nodeName !== node) continue;
    const ns = namespaceOf(device.metadata);
    const modelRec = store.get('devicemodel', metaKey(ns, 'devicemodel', device.spec.deviceModelRef.name));
    const id = `${ns}/${device.metadata.name}`;
    if (!modelRec) {
      warnOnce(
        logger,
        warned,
        `${id}: DeviceModel ${ns}/${device.spec.deviceModelRef.name} is not known on this node; the device waits for it`,
      );
      continue;
    }
    try {
      const instance = resolveDeviceInstance(device, modelRec.value as DeviceModel);
      out.set(id, { instance, annotations: { ...device.metadata.labels, ...device.metadata.annotations } });
    } catch (err) {
      warnOnce(logger, warned, `${id}: ${errorText(err)}`);
    }
  }
  return out;
}

function warnOnce(logger: Logger, warned: Set<string>, text: string): void {
  if (warned.has(text)) return;
  warned.add(text);
  logger.warn(text);
}

/** Ids added, removed and changed between two sets. */
export function diffDeviceSets(
  before: Map<string, EdgeDevice>,
  after: Map<string, EdgeDevice>,
): { added: string[]; removed: string[]; updated: string[] } {
  const added: string[] = [];
  const removed: string[] = [];
  const updated: string[] = [];
  for (const [id, d] of after) {
    const old = before.get(id);
    if (!old) added.push(id);
    else if (JSON.stringify(old) !== JSON.stringify(d)) updated.push(id);
  }
  for (const id of before.keys()) if (!after.has(id)) removed.push(id);
  return { added, removed, updated };
}

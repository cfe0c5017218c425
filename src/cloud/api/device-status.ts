import type { ObjectStore, StoredObject } from '../store/index.js';

/**
 * Devices as the API shows them: with KubeEdge v1.23's split, a device's twins and state live in
 * the DeviceStatus of the same name; the API keeps answering one Device with its status, as
 * before the split (and with CRDs before it, Device status is all there is).
 */
export async function withDeviceStatus(store: ObjectStore, devices: StoredObject[]): Promise<StoredObject[]> {
  if (devices.length === 0 || !store.serves('DeviceStatus')) return devices;
  const key = (o: StoredObject) => `${o.metadata.namespace ?? 'default'}/${o.metadata.name}`;
  const one = devices.length === 1 ? devices[0]! : undefined;
  const statuses = one
    ? [await store.get('DeviceStatus', one.metadata.namespace ?? 'default', one.metadata.name)]
    : (await store.list('DeviceStatus')).items;
  const byKey = new Map(statuses.filter((s) => s !== undefined).map((s) => [key(s), s.status]));
  return devices.map((d) => {
    const status = byKey.get(key(d));
    return status && typeof status === 'object' ? { ...d, status: { ...((d.status as object) ?? {}), ...status } } : d;
  });
}

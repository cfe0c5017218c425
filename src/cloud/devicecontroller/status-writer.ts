import { API_VERSION } from '../../model/index.js';
import type { ObjectStore, StoredObject } from '../store/index.js';
import type { DeviceTwinState } from './twin-state.js';

const RETRIES = 5;

/**
 * Writes a device's twin where the cluster keeps it: KubeEdge v1.23's DeviceStatus (same name as
 * the Device, owned by it, created on the first write), else, with older CRDs, the Device's own
 * status. Every write names the resourceVersion it was computed from; on a conflict (someone else
 * wrote meanwhile) the object is read again and the status recomputed on top of it. The last
 * written DeviceStatus is kept, so a write is one request, not a read and a write.
 * With DeviceStatus, the device's state and last online time are mirrored into the Device status
 * too (only when they change: rarely), for `kubectl get devices` and KubeEdge's pre-1.23 readers.
 */
export class StatusWriter {
  private readonly written = new Map<string, StoredObject>();
  /** Devices known to have no DeviceStatus (listed at start): the first write creates it unread. */
  private readonly absent = new Set<string>();

  constructor(
    private readonly store: ObjectStore,
    readonly useDeviceStatus: boolean,
  ) {}

  /**
   * What the store held at start: the DeviceStatus objects (written on top of without reading
   * them again) and the devices that have none.
   */
  seed(statuses: StoredObject[], devices: StoredObject[]): void {
    const key = (o: StoredObject) => `${o.metadata.namespace ?? 'default'}/${o.metadata.name}`;
    for (const s of statuses) this.written.set(key(s), s);
    for (const d of devices) if (!this.written.has(key(d))) this.absent.add(key(d));
  }

  /** The number of objects written (0 when nothing changed). */
  async write(device: StoredObject, twin: DeviceTwinState): Promise<number> {
    if (!this.useDeviceStatus) return (await this.update('Device', device, (d) => twin.toStatus(d.status))) ? 1 : 0;
    let writes = (await this.update('DeviceStatus', device, (s) => twin.toStatus(s.status), true)) ? 1 : 0;
    const mirrored = (current: StoredObject) => {
      const status = (current.status ?? {}) as Record<string, unknown>;
      const same = (status.state ?? 'unknown') === twin.state && status.lastOnlineTime === twin.lastOnlineTime;
      if (same) return undefined;
      return { ...status, state: twin.state, ...(twin.lastOnlineTime ? { lastOnlineTime: twin.lastOnlineTime } : {}) };
    };
    if (mirrored(device) !== undefined) writes += (await this.update('Device', device, mirrored)) ? 1 : 0;
    return writes;
  }

  /** A Device created since start: its DeviceStatus is created on the first write, unread. */
  added(device: StoredObject): void {
    const key = `${device.metadata.namespace ?? 'default'}/${device.metadata.name}`;
    if (!this.written.has(key)) this.absent.add(key);
  }

  /** The Device is gone: so is its status (the API server's garbage collector would do it too). */
  async forget(namespace: string, name: string): Promise<void> {
    this.written.delete(`${namespace}/${name}`);
    this.absent.delete(`${namespace}/${name}`);
    if (this.useDeviceStatus) await this.store.delete('DeviceStatus', namespace, name);
  }

  private async update(
    kind: 'Device' | 'DeviceStatus',
    device: StoredObject,
    next: (current: StoredObject) => unknown,
    create = false,
  ): Promise<boolean> {
    const ns = device.metadata.namespace ?? 'default';
    const name = device.metadata.name;
    const key = `${ns}/${name}`;
    let current: StoredObject | undefined = kind === 'DeviceStatus' ? this.written.get(key) : device;
    for (let attempt = 0; ; attempt++) {
      if (!current && !(create && this.absent.delete(key))) current = await this.store.get(kind, ns, name);
      if (!current && create) {
        try {
          current = await this.createStatus(device);
        } catch (err) {
          // Created meanwhile (another writer): read it and write on top of it.
          if ((err as { code?: string }).code !== 'KEDGE_CLOUD_STORE_EXISTS' || attempt >= RETRIES) throw err;
          continue;
        }
      }
      if (!current) return false;
      const status = next(current);
      if (status === undefined) return false;
      try {
        const stored = await this.store.updateStatus(kind, ns, name, status, current.metadata.resourceVersion);
        if (kind === 'DeviceStatus') this.written.set(key, stored);
        return true;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if ((code !== 'KEDGE_CLOUD_STORE_CONFLICT' && code !== 'KEDGE_CLOUD_STORE_NOT_FOUND') || attempt >= RETRIES)
          throw err;
        this.written.delete(key);
        current = undefined;
      }
    }
  }

  private createStatus(device: StoredObject): Promise<StoredObject> {
    const { name, namespace, uid } = device.metadata;
    return this.store.create({
      apiVersion: API_VERSION,
      kind: 'DeviceStatus',
      metadata: {
        name,
        namespace: namespace ?? 'default',
        ...(uid ? { ownerReferences: [{ apiVersion: API_VERSION, kind: 'Device', name, uid, controller: true }] } : {}),
      },
      spec: {},
    });
  }
}

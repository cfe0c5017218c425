import { sameSpec, type StoredObject, type WatchEvent } from '../store/index.js';
import { modelRefOf } from './node-sync.js';
import { nodeOf } from '../objectsync/index.js';

/**
 * Devices and models as last seen from the store's watch, indexed by node, so that a change
 * touches only the nodes it concerns.
 */
export class DeviceIndex {
  readonly devices = new Map<string, StoredObject>();
  readonly models = new Map<string, StoredObject>();
  private readonly byNode = new Map<string, Set<string>>();

  static key(o: StoredObject): string {
    return `${o.metadata.namespace ?? 'default'}/${o.metadata.name}`;
  }

  nodes(): string[] {
    return [...this.byNode.keys()];
  }

  devicesOn(node: string): StoredObject[] {
    return [...(this.byNode.get(node) ?? [])].map((k) => this.devices.get(k)!).filter(Boolean);
  }

  /** Applies a Device event; returns the nodes whose wanted set may have changed (none for a status-only change). */
  applyDevice(event: WatchEvent): string[] {
    const key = DeviceIndex.key(event.object);
    const prev = this.devices.get(key);
    const next = event.type === 'DELETED' ? undefined : event.object;
    if (prev) this.unlink(key, prev);
    if (next) {
      this.devices.set(key, next);
      const node = nodeOf(next);
      if (node) this.link(node, key);
    } else {
      this.devices.delete(key);
    }
    if (sameSpec(prev, next)) return [];
    return [...new Set([prev && nodeOf(prev), next && nodeOf(next)].filter((n): n is string => !!n))];
  }

  /** Applies a DeviceModel event; returns the nodes with devices of that model. */
  applyModel(event: WatchEvent): string[] {
    const key = DeviceIndex.key(event.object);
    const prev = this.models.get(key);
    if (event.type === 'DELETED') this.models.delete(key);
    else this.models.set(key, event.object);
    const next = event.type === 'DELETED' ? undefined : event.object;
    if (sameSpec(prev, next)) return [];
    const ns = event.object.metadata.namespace ?? 'default';
    const nodes = new Set<string>();
    for (const d of this.devices.values()) {
      const node = nodeOf(d);
      if (node && (d.metadata.namespace ?? 'default') === ns && modelRefOf(d) === event.object.metadata.name)
        nodes.add(node);
    }
    return [...nodes];
  }

  private link(node: string, key: string): void {
    let set = this.byNode.get(node);
    if (!set) this.byNode.set(node, (set = new Set()));
    set.add(key);
  }

  private unlink(key: string, prev: StoredObject): void {
    const node = nodeOf(prev);
    if (!node) return;
    const set = this.byNode.get(node);
    set?.delete(key);
    if (set && set.size === 0) this.byNode.delete(node);
  }
}

import { fromPbDevice, fromPbModel, type PbDevice, type PbDeviceModel } from '../../../src/contracts/dmi/index.js';
import { errorText } from '../../../src/core/errors/index.js';
import { resolveDeviceInstance, type DeviceInstance } from '../../../src/model/index.js';

/** A desired value the edge asks this mapper to write (marked pending in its metadata). */
export interface WantedWrite {
  deviceId: string;
  property: string;
  value: string;
}

const idOf = (namespace: string, name: string) => `${namespace || 'default'}/${name}`;

/**
 * The devices and models the edge gave this mapper over DMI (MapperRegister's answer, then
 * RegisterDevice/UpdateDevice/RemoveDevice and the model calls), resolved into the device instances
 * the drivers run.
 */
export class DmiDevices {
  private readonly devices = new Map<string, PbDevice>();
  private readonly models = new Map<string, PbDeviceModel>();
  /** Desired values already handed to the writer, so an UpdateDevice with other changes does not rewrite them. */
  private readonly requested = new Map<string, string>();

  setModel(model: PbDeviceModel): void {
    this.models.set(idOf(model.namespace, model.name), model);
  }

  removeModel(namespace: string, name: string): void {
    this.models.delete(idOf(namespace, name));
  }

  hasModelOf(device: PbDevice): boolean {
    return this.models.has(idOf(device.namespace, device.spec?.deviceModelReference ?? ''));
  }

  setDevice(device: PbDevice): void {
    this.devices.set(idOf(device.namespace, device.name), device);
  }

  removeDevice(namespace: string, name: string): string {
    const id = idOf(namespace, name);
    this.devices.delete(id);
    for (const key of [...this.requested.keys()]) if (key.startsWith(`${id}\u0000`)) this.requested.delete(key);
    return id;
  }

  get(namespace: string, name: string): PbDevice | undefined {
    return this.devices.get(idOf(namespace, name));
  }

  /** Every device of `protocol` resolved with its model; the ones that do not resolve, with why. */
  resolve(protocol: string): { devices: DeviceInstance[]; problems: Array<{ id: string; reason: string }> } {
    const devices: DeviceInstance[] = [];
    const problems: Array<{ id: string; reason: string }> = [];
    for (const [id, pb] of this.devices) {
      if ((pb.spec?.protocol?.protocolName ?? '').toLowerCase() !== protocol) continue;
      const model = this.models.get(idOf(pb.namespace, pb.spec?.deviceModelReference ?? ''));
      if (!model) {
        problems.push({ id, reason: `its DeviceModel ${pb.spec?.deviceModelReference} was not given by the edge` });
        continue;
      }
      try {
        devices.push(resolveDeviceInstance(fromPbDevice(pb), fromPbModel(model)));
      } catch (err) {
        problems.push({ id, reason: errorText(err) });
      }
    }
    return { devices, problems };
  }

  /**
   * The desired values to write now, each once per value: those kedge edge marks pending (not yet
   * confirmed), and, from KubeEdge's edgecore (which sends no `pending` key), every desired value,
   * as a mapper-framework mapper writes them when a device starts. `settled` receives the ones
   * kedge edge says are confirmed, which this mapper holds as applied (its observed desired values).
   */
  wanted(settled: (deviceId: string, property: string, value: string) => void): WantedWrite[] {
    const out: WantedWrite[] = [];
    for (const [deviceId, pb] of this.devices) {
      for (const p of pb.spec?.properties ?? []) {
        const desired = p.desired;
        if (!desired || desired.value === '') continue;
        const key = `${deviceId}\u0000${p.name}`;
        if (desired.metadata?.['pending'] === 'false') {
          settled(deviceId, p.name, desired.value);
          continue;
        }
        if (this.requested.get(key) === desired.value) continue;
        this.requested.set(key, desired.value);
        out.push({ deviceId, property: p.name, value: desired.value });
      }
    }
    return out;
  }

  /** A failed write may be asked for again by a later UpdateDevice. */
  forgetRequest(deviceId: string, property: string): void {
    this.requested.delete(`${deviceId}\u0000${property}`);
  }
}

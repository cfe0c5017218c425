import type * as Grpc from '@grpc/grpc-js';
import type { Dmi, PbDevice, PbDeviceModel, PbDeviceRef, PbModelRef } from '../../../src/contracts/dmi/index.js';
import { errorText } from '../../../src/core/errors/index.js';

/** What the DeviceMapperService handlers ask of the mapper. */
export interface DmiMapperHost {
  registerDevice(device: PbDevice): Promise<void>;
  updateDevice(device: PbDevice): Promise<void>;
  removeDevice(namespace: string, name: string): Promise<void>;
  setModel(model: PbDeviceModel, update: boolean): void;
  removeModel(namespace: string, name: string): void;
  getDevice(namespace: string, name: string): PbDevice | undefined;
}

type Unary<Req> = (call: Grpc.ServerUnaryCall<Req, unknown>, done: Grpc.sendUnaryData<unknown>) => void;

/** gRPC status codes (fixed by the gRPC specification). */
const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;
const INTERNAL = 13;

/** An error the handler answers with NOT_FOUND. */
export function notFound(message: string): Error {
  return Object.assign(new Error(message), { grpcCode: NOT_FOUND });
}

const invalid = (message: string) => Object.assign(new Error(message), { grpcCode: INVALID_ARGUMENT });

/**
 * KubeEdge's DeviceMapperService, as a mapper-framework mapper answers it: a device whose model
 * was not given first is NOT_FOUND, a missing device or model is INVALID_ARGUMENT, anything else
 * that fails is INTERNAL with the reason.
 */
export function serveDeviceMapper(dmi: Dmi, server: Grpc.Server, host: DmiMapperHost): void {
  const handle =
    <Req>(fn: (request: Req) => unknown | Promise<unknown>): Unary<Req> =>
    (call, done) => {
      Promise.resolve()
        .then(() => fn(call.request))
        .then(
          (response) => done(null, response ?? {}),
          (err: unknown) =>
            done({ code: (err as { grpcCode?: number }).grpcCode ?? INTERNAL, details: errorText(err) }),
        );
    };
  server.addService(dmi.mapper.service, {
    RegisterDevice: handle<{ device: PbDevice | null }>(async ({ device }) => {
      if (!device) throw invalid('device is nil');
      await host.registerDevice(device);
      return { deviceName: device.name, deviceNamespace: device.namespace };
    }),
    UpdateDevice: handle<{ device: PbDevice | null }>(async ({ device }) => {
      if (!device) throw invalid('device is nil');
      await host.updateDevice(device);
      return {};
    }),
    RemoveDevice: handle<PbDeviceRef>(async (r) => {
      if (!r.deviceName) throw invalid('device name is nil');
      await host.removeDevice(r.deviceNamespace, r.deviceName);
      return {};
    }),
    CreateDeviceModel: handle<{ model: PbDeviceModel | null }>(({ model }) => {
      if (!model) throw invalid('deviceModel is nil');
      host.setModel(model, false);
      return { deviceModelName: model.name, deviceModelNamespace: model.namespace };
    }),
    UpdateDeviceModel: handle<{ model: PbDeviceModel | null }>(({ model }) => {
      if (!model) throw invalid('deviceModel is nil');
      host.setModel(model, true);
      return {};
    }),
    RemoveDeviceModel: handle<PbModelRef>((r) => {
      host.removeModel(r.modelNamespace, r.modelName);
      return {};
    }),
    GetDevice: handle<PbDeviceRef>((r) => {
      if (!r.deviceName) throw invalid('device name is nil');
      const device = host.getDevice(r.deviceNamespace, r.deviceName);
      if (!device) throw notFound(`device ${r.deviceNamespace}/${r.deviceName} not found`);
      return { device };
    }),
  });
}

/**
 * A DMI mapper that behaves as KubeEdge's mapper-framework template does (staging/src/github.com/
 * kubeedge/mapper-framework, v1.23): it serves DeviceMapperService on its own unix socket,
 * registers with the edge (MapperRegister withData, a 1 s deadline, and start() fails like the
 * template's main exits), takes devices and models from the answer and from RegisterDevice/
 * UpdateDevice/RemoveDevice, applies each ReadWrite property's desired value to its (simulated)
 * device when a device starts (an UpdateDevice restarts the device), reports every property with
 * reportToCloud each collectCycle as ReportDeviceStatus twins (reported + observedDesired, metadata
 * {type, timestamp} as ConvMsgTwinToGrpc builds them) and the state "ok" each status reportCycle.
 * It reads the fields mapper-framework dereferences without a nil check (GetDeviceFromGrpc) and
 * records a "panic" when one is missing, where the Go mapper would crash.
 */
import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type * as Grpc from '@grpc/grpc-js';
import { loadDmi, unixTarget, type Dmi, type PbDevice, type PbDeviceModel } from '../../src/contracts/dmi/index.js';

interface Running {
  pb: PbDevice;
  timers: NodeJS.Timeout[];
  observed: Map<string, string>;
}

export class FrameworkMapper {
  readonly calls: string[] = [];
  readonly panics: string[] = [];
  /** The simulated devices' values by `<ns>/<name>/<property>` (what a driver would read). */
  readonly values = new Map<string, string>();
  private readonly models = new Map<string, PbDeviceModel>();
  private readonly devices = new Map<string, Running>();
  private dmi: Dmi | undefined;
  private server: Grpc.Server | undefined;
  private client: Grpc.Client | undefined;

  constructor(readonly options: { name: string; protocol: string; socket: string; edgeSocket: string }) {}

  async start(): Promise<void> {
    const dmi = (this.dmi = await loadDmi());
    await mkdir(dirname(this.options.socket), { recursive: true });
    await rm(this.options.socket, { force: true });
    const server = new dmi.grpc.Server();
    server.addService(dmi.mapper.service, this.handlers());
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(unixTarget(this.options.socket), dmi.grpc.ServerCredentials.createInsecure(), (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    this.server = server;
    this.client = new dmi.manager(unixTarget(this.options.edgeSocket), dmi.grpc.credentials.createInsecure());
    const answer = await this.call<{ modelList: PbDeviceModel[]; deviceList: PbDevice[] }>(
      'MapperRegister',
      {
        withData: true,
        mapper: {
          name: this.options.name,
          version: 'v1.23.0',
          api_version: 'v1beta1',
          protocol: this.options.protocol,
          address: Buffer.from(this.options.socket),
          state: 'ok',
        },
      },
      1000,
    ).catch(async (err: unknown) => {
      await this.stop();
      throw err;
    });
    for (const m of answer.modelList) this.models.set(`${m.namespace}/${m.name}`, m);
    for (const d of answer.deviceList) this.startDevice(d);
  }

  async stop(): Promise<void> {
    for (const id of [...this.devices.keys()]) this.stopDevice(id);
    this.client?.close();
    this.client = undefined;
    this.server?.forceShutdown();
    this.server = undefined;
    await rm(this.options.socket, { force: true });
  }

  device(id: string): PbDevice | undefined {
    return this.devices.get(id)?.pb;
  }

  private handlers(): Grpc.UntypedServiceImplementation {
    const unary =
      (name: string, fn: (req: any) => unknown) =>
      (call: Grpc.ServerUnaryCall<any, unknown>, done: Grpc.sendUnaryData<unknown>) => {
        this.calls.push(name);
        try {
          done(null, fn(call.request) ?? {});
        } catch (err) {
          // A Go error from a handler reaches the caller as status UNKNOWN with its text.
          done({ code: 2, details: String((err as Error).message) });
        }
      };
    return {
      RegisterDevice: unary('RegisterDevice', ({ device }: { device: PbDevice }) => {
        const id = `${device.namespace}/${device.name}`;
        if (!this.devices.has(id)) this.startDevice(device);
        return { deviceName: device.name };
      }),
      UpdateDevice: unary('UpdateDevice', ({ device }: { device: PbDevice }) => {
        this.stopDevice(`${device.namespace}/${device.name}`);
        this.startDevice(device);
      }),
      RemoveDevice: unary('RemoveDevice', (r: { deviceName: string; deviceNamespace: string }) =>
        this.stopDevice(`${r.deviceNamespace}/${r.deviceName}`),
      ),
      CreateDeviceModel: unary('CreateDeviceModel', ({ model }: { model: PbDeviceModel }) => {
        this.models.set(`${model.namespace}/${model.name}`, model);
        return { deviceModelName: model.name };
      }),
      UpdateDeviceModel: unary('UpdateDeviceModel', ({ model }: { model: PbDeviceModel }) => {
        if (!this.models.has(`${model.namespace}/${model.name}`))
          throw new Error(`update deviceModel ${model.name} failed, not existed`);
        this.models.set(`${model.namespace}/${model.name}`, model);
      }),
      RemoveDeviceModel: unary('RemoveDeviceModel', (r: { modelName: string; modelNamespace: string }) =>
        this.models.delete(`${r.modelNamespace}/${r.modelName}`),
      ),
      GetDevice: unary('GetDevice', (r: { deviceName: string; deviceNamespace: string }) => {
        const running = this.devices.get(`${r.deviceNamespace}/${r.deviceName}`);
        if (!running) throw new Error(`device ${r.deviceName} not found`);
        return { device: { status: { twins: this.twins(running) } } };
      }),
    };
  }

  private startDevice(pb: PbDevice): void {
    const id = `${pb.namespace}/${pb.name}`;
    const model = this.models.get(`${pb.namespace}/${pb.spec?.deviceModelReference}`);
    if (!model) throw new Error(`deviceModel ${pb.spec?.deviceModelReference} in ${pb.namespace} namespace not found`);
    // GetDeviceFromGrpc: these are dereferenced without a nil check.
    if (!pb.spec?.protocol) this.panics.push(`${id}: spec.protocol is nil`);
    for (const p of pb.spec?.properties ?? []) {
      if (!p.desired) this.panics.push(`${id}/${p.name}: desired is nil`);
      if (!p.visitors) this.panics.push(`${id}/${p.name}: visitors is nil`);
      else if (!p.visitors.configData) this.panics.push(`${id}/${p.name}: visitors.configData is nil`);
    }
    const running: Running = { pb, timers: [], observed: new Map() };
    this.devices.set(id, running);
    for (const p of pb.spec?.properties ?? []) {
      const declared = model.spec?.properties.find((m) => m.name === p.name);
      const desired = p.desired?.value ?? '';
      // The template writes a desired value when the device starts (dealDeviceTwinGet/SetDeviceData).
      if (desired !== '' && declared?.accessMode === 'ReadWrite') this.values.set(`${id}/${p.name}`, desired);
      running.observed.set(p.name, desired);
      if (!p.reportToCloud) continue;
      const cycle = Number(p.collectCycle) || 1000;
      running.timers.push(setInterval(() => this.report(running, p.name, declared?.type ?? ''), cycle));
    }
    if (pb.status?.reportToCloud) {
      const cycle = Number(pb.status.reportCycle) || 1000;
      running.timers.push(
        setInterval(
          () => this.send('ReportDeviceStates', { deviceName: pb.name, deviceNamespace: pb.namespace, state: 'ok' }),
          cycle,
        ),
      );
    }
  }

  private stopDevice(id: string): void {
    const running = this.devices.get(id);
    if (!running) return;
    for (const t of running.timers) clearInterval(t);
    this.devices.delete(id);
  }

  private twins(running: Running) {
    const id = `${running.pb.namespace}/${running.pb.name}`;
    return (running.pb.spec?.properties ?? []).map((p) => ({
      propertyName: p.name,
      reported: { value: this.values.get(`${id}/${p.name}`) ?? '', metadata: {} },
      observedDesired: { value: running.observed.get(p.name) ?? '', metadata: {} },
    }));
  }

  private report(running: Running, property: string, type: string): void {
    const id = `${running.pb.namespace}/${running.pb.name}`;
    const value = this.values.get(`${id}/${property}`);
    if (value === undefined) return;
    const metadata = { type: type.toLowerCase(), timestamp: String(Date.now()) };
    this.send('ReportDeviceStatus', {
      deviceName: running.pb.name,
      deviceNamespace: running.pb.namespace,
      reportedDevice: {
        twins: [
          {
            propertyName: property,
            reported: { value, metadata },
            observedDesired: { value: running.observed.get(property) ?? '', metadata },
          },
        ],
      },
    });
  }

  /** Reports are fire-and-forget in the template (an error is logged); here it is recorded. */
  readonly reportErrors: string[] = [];
  private send(method: string, request: unknown): void {
    this.call(method, request, 5000).catch((err: unknown) =>
      this.reportErrors.push(`${method}: ${(err as Error).message}`),
    );
  }

  private call<T>(method: string, request: unknown, timeoutMs: number): Promise<T> {
    const fn = (this.client as unknown as Record<string, Function>)[method]!.bind(this.client);
    return new Promise<T>((resolve, reject) =>
      fn(request, { deadline: Date.now() + timeoutMs }, (err: Error | null, response: T) =>
        err ? reject(err) : resolve(response),
      ),
    );
  }
}

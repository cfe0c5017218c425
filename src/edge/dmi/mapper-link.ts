import type * as Grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import {
  type Dmi,
  type PbDevice,
  type PbDeviceModel,
  type PbMapperInfo,
  unixTarget,
} from '../../contracts/dmi/index.js';
import type { Clock, Timer } from '../../core/clock/index.js';
import { errorText } from '../../core/errors/index.js';

/** What the edge wants a mapper to hold: devices and models by `<namespace>/<name>`. */
export interface MapperTarget {
  devices: Map<string, PbDevice>;
  models: Map<string, PbDeviceModel>;
}

export interface MapperLinkEvents {
  /** The mapper cannot be reached (or refused a call): its devices are offline for this reason. */
  unreachable(deviceIds: string[], reason: string): void;
  /** Reached again after being unreachable, its devices re-announced. */
  reachable(deviceIds: string[]): void;
}

const CALL_TIMEOUT_MS = 10_000;
const RETRY = { initialMs: 500, maxMs: 30_000 };

/**
 * The edge's side of one mapper registered over DMI (KubeEdge keys them by protocol): calls its
 * DeviceMapperService to make it hold exactly the target devices and models (models first, as a
 * mapper-framework mapper wants a device's model before the device), one call at a time. What the
 * mapper was last told is kept per device, so an unchanged device is not sent again and a changed
 * desired value is one UpdateDevice. A failed call, or the channel failing, makes the mapper's
 * devices offline with the reason and is retried with back-off; when the mapper answers again
 * everything is announced again (a restarted mapper holds nothing).
 */
export class MapperLink {
  readonly info: PbMapperInfo;
  private readonly client: Grpc.Client;
  private readonly told = new Map<string, string>();
  private readonly toldModels = new Map<string, string>();
  private target: MapperTarget = { devices: new Map(), models: new Map() };
  private running: Promise<void> | undefined;
  private again = false;
  private retryTimer: Timer | undefined;
  private attempt = 0;
  private down: string | undefined;
  private closed = false;

  constructor(
    private readonly dmi: Dmi,
    info: PbMapperInfo,
    private readonly deps: { clock: Clock; logger: Logger; events: MapperLinkEvents },
  ) {
    this.info = info;
    this.client = new dmi.mapper(unixTarget(this.address), dmi.grpc.credentials.createInsecure());
    this.watch();
  }

  get address(): string {
    return this.info.address.toString();
  }

  get name(): string {
    return `${this.info.name} (${this.info.protocol}, ${this.address})`;
  }

  /** The reason the mapper is considered unreachable, if it is. */
  get unreachableReason(): string | undefined {
    return this.down;
  }

  /**
   * The mapper just registered (a restarted mapper holds nothing) and, with data, received the
   * target in its answer: then nothing needs to be sent; without, every device is registered.
   */
  registered(target: MapperTarget, sentWithAnswer: boolean): Promise<void> {
    this.told.clear();
    this.toldModels.clear();
    if (sentWithAnswer) {
      for (const [id, d] of target.devices) this.told.set(id, JSON.stringify(d));
      for (const [id, m] of target.models) this.toldModels.set(id, JSON.stringify(m));
    }
    this.attempt = 0;
    this.markReachable();
    return this.sync(target);
  }

  sync(target: MapperTarget): Promise<void> {
    this.target = target;
    return this.kick();
  }

  /** DeviceMapperService.GetDevice, passed through. */
  getDevice(namespace: string, name: string): Promise<PbDevice | null> {
    return this.call<{ device: PbDevice | null }>('GetDevice', { deviceName: name, deviceNamespace: namespace }).then(
      (r) => r.device,
    );
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer) this.deps.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.client.close();
  }

  private kick(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.run();
      } while (this.again && !this.closed);
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(): Promise<void> {
    const { devices, models } = this.target;
    try {
      for (const [id, model] of models) {
        const text = JSON.stringify(model);
        const before = this.toldModels.get(id);
        if (before === text) continue;
        await this.call(before === undefined ? 'CreateDeviceModel' : 'UpdateDeviceModel', { model });
        this.toldModels.set(id, text);
      }
      for (const [id, device] of devices) {
        const text = JSON.stringify(device);
        const before = this.told.get(id);
        if (before === text) continue;
        await this.call(before === undefined ? 'RegisterDevice' : 'UpdateDevice', { device });
        this.told.set(id, text);
      }
      for (const id of [...this.told.keys()]) {
        if (devices.has(id)) continue;
        const [deviceNamespace, deviceName] = split(id);
        await this.call('RemoveDevice', { deviceName, deviceNamespace });
        this.told.delete(id);
      }
      for (const id of [...this.toldModels.keys()]) {
        if (models.has(id)) continue;
        const [modelNamespace, modelName] = split(id);
        await this.call('RemoveDeviceModel', { modelName, modelNamespace });
        this.toldModels.delete(id);
      }
      this.attempt = 0;
      this.markReachable();
    } catch (err) {
      this.markUnreachable(errorText(err));
      this.scheduleRetry();
    }
  }

  private call<T>(method: string, request: unknown): Promise<T> {
    const fn = (this.client as unknown as Record<string, Function>)[method]!.bind(this.client);
    return new Promise<T>((resolve, reject) => {
      fn(request, { deadline: Date.now() + CALL_TIMEOUT_MS }, (err: Grpc.ServiceError | null, response: T) => {
        if (err) reject(new Error(`${method}: ${err.details || err.message}`));
        else resolve(response);
      });
    });
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer) return;
    const step = Math.min(RETRY.maxMs, RETRY.initialMs * 2 ** Math.min(this.attempt++, 16));
    this.retryTimer = this.deps.clock.setTimeout(() => {
      this.retryTimer = undefined;
      void this.kick();
    }, step);
  }

  /** A channel that fails between calls (the mapper stopped) is noticed without waiting for the next change. */
  private watch(): void {
    const { connectivityState } = this.dmi.grpc;
    const channel = this.client.getChannel();
    const step = (): void => {
      if (this.closed) return;
      const state = channel.getConnectivityState(true);
      if (state === connectivityState.TRANSIENT_FAILURE) {
        this.markUnreachable('the connection to its socket failed');
        this.scheduleRetry();
      } else if (state === connectivityState.READY && this.down) {
        // Back: a restarted mapper holds nothing, so everything is announced again.
        this.told.clear();
        this.toldModels.clear();
        void this.kick();
      }
      channel.watchConnectivityState(state, Number.POSITIVE_INFINITY, step);
    };
    step();
  }

  private markUnreachable(detail: string): void {
    const reason = `DMI mapper ${this.name} is unreachable: ${detail}`;
    if (this.down === reason) return;
    const first = this.down === undefined;
    this.down = reason;
    this.deps.logger.warn({ mapper: this.info.name, protocol: this.info.protocol }, reason);
    if (first || this.target.devices.size > 0) this.deps.events.unreachable([...this.target.devices.keys()], reason);
  }

  private markReachable(): void {
    if (this.down === undefined) return;
    this.down = undefined;
    this.deps.logger.info({ mapper: this.info.name, protocol: this.info.protocol }, 'DMI mapper reachable again');
    this.deps.events.reachable([...this.target.devices.keys()]);
  }
}

function split(id: string): [string, string] {
  const i = id.indexOf('/');
  return [id.slice(0, i), id.slice(i + 1)];
}

// Mirrors KubeEdge edge/pkg/devicetwin/devicetwin.go and dtcontroller.go: the module's lifecycle
// and the dispatcher that hands each message kind to its handler (handlers/, one file each).
import type { EdgeChannels } from '../../contracts/index.js';
import { Waiters } from '../../core/async/index.js';
import { counter, detachedRegistry, histogram } from '../../core/metrics/index.js';
import type { Timer } from '../../core/clock/index.js';
import type { Module } from '../../core/module/index.js';
import { TwinBook } from './book.js';
import { TwinContext, type TwinModuleDeps, type WriteMetrics } from './context.js';
import { setDesiredFromApi, twinView } from './handlers/api.js';
import { onTwinGet } from './handlers/get.js';
import { addDevice, onDevicesChanged, onMembershipGet } from './handlers/membership.js';
import { onCleansed } from './handlers/reported.js';
import { onDeviceState } from './handlers/state.js';
import { onCloudDesired } from './handlers/sync.js';
import { onTwinUpdate } from './handlers/update.js';
import { onWriteResult } from './handlers/write-result.js';

export { DESIRED_TIMEOUT_ANNOTATION, LOCAL_DESIRED_ANNOTATION, type TwinModuleDeps } from './context.js';

const endpoint = { name: 'twin', group: 'twin' };

type Handlers = { [K in keyof EdgeChannels]?: (ctx: TwinContext, payload: EdgeChannels[K]) => void };

/** One handler per message kind the twin takes (what KubeEdge's dtcontroller classifies into its workers). */
const HANDLERS: Handlers = {
  'device.cleansed': onCleansed,
  'twin.update': onTwinUpdate,
  'twin.get': onTwinGet,
  'twin.desired': onCloudDesired,
  'device.state': onDeviceState,
  'device.writeResult': onWriteResult,
  'membership.get': onMembershipGet,
  'devices.changed': onDevicesChanged,
};

/**
 * KubeEdge's DeviceTwin: desired and reported values with versions, the MQTT twin messages, the
 * desired -> delta -> write -> read-back loop with a timeout, device state and membership.
 */
export class TwinModule implements Module {
  readonly name = endpoint.name;
  readonly group = endpoint.group;
  private ctx: TwinContext | undefined;
  private undo: Array<() => void> = [];
  private timers: Timer[] = [];

  constructor(private readonly deps: TwinModuleDeps) {}

  async start(): Promise<void> {
    const { bus, store, clock, batcher } = this.deps;
    const book = new TwinBook(this.deps);
    const ctx = new TwinContext(this.deps, book, new Waiters(clock), writeMetrics(this.deps));
    this.ctx = ctx;
    const records = store.loadAll();
    const states = store.loadStates();
    for (const d of await bus.request('meta.devices', {}))
      addDevice(ctx, d, records.get(d.instance.id) ?? new Map(), states.get(d.instance.id));
    this.undo = [
      batcher.register(book),
      ...(Object.keys(HANDLERS) as Array<keyof EdgeChannels>).map((channel) => this.dispatch(ctx, channel)),
      bus.serve('twin.view', endpoint, (req) => twinView(ctx, req.deviceId)),
      bus.serve('twin.setDesired', endpoint, (req) => setDesiredFromApi(ctx, req)),
    ];
    this.timers = [
      // Reports held back by the per-device interval, and reported values by the journal's, need a
      // later batch: the next one of the readings, or one of their own when none came for a second
      // (a commit of its own writes page 1 and the free list again: SD card wear).
      clock.setInterval(() => {
        const now = clock.now();
        if (now - batcher.lastCommitAt < 1000) return;
        if (book.waitingReports > 0 || book.journalDue(now)) batcher.mark();
      }, 1000),
      clock.setInterval(() => book.requestCheckpoint(), this.deps.checkpointMs),
    ];
  }

  async stop(): Promise<void> {
    for (const t of this.timers) this.deps.clock.clearInterval(t);
    this.timers = [];
    this.ctx?.book.requestCheckpoint();
    this.ctx?.close();
    this.deps.batcher.flushNow();
    for (const fn of this.undo) fn();
    this.undo = [];
    this.ctx = undefined;
  }

  private dispatch<K extends keyof EdgeChannels>(ctx: TwinContext, channel: K): () => void {
    const handle = HANDLERS[channel] as (ctx: TwinContext, payload: EdgeChannels[K]) => void;
    return this.deps.bus.subscribe(channel, endpoint, (payload) => handle(ctx, payload));
  }
}

function writeMetrics(deps: TwinModuleDeps): WriteMetrics {
  const registry = deps.registry ?? detachedRegistry();
  return {
    outcomes: counter(registry, {
      name: 'kedge_device_writes_total',
      help: 'Desired values settled, by device and outcome (confirmed by the device, failed, timeout)',
      labelNames: ['device', 'outcome'],
    }),
    seconds: histogram(registry, {
      name: 'kedge_device_write_duration_seconds',
      help: 'Write round trip: from a desired value sent to the mapper (delta) to its confirmation, failure or timeout',
      labelNames: ['outcome'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    }),
  };
}

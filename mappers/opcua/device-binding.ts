import {
  AttributeIds,
  TimestampsToReturn,
  type ClientMonitoredItemBase,
  type ClientMonitoredItemGroup,
  type ClientSession,
  type DataValue,
} from 'node-opcua';
import type { Timer } from '../../src/core/clock/index.js';
import { errorText, isKedgeError } from '../../src/core/errors/index.js';
import type { DeviceInstance, PropertyInstance, PropertyValue } from '../../src/model/index.js';
import type { DeviceState, DriverContext, DriverReading } from '../sdk/contract.js';
import type { ConnectionListener, OpcuaConnection } from './connection.js';
import { opcuaErrors } from './errors.js';
import type { OpcuaMetrics } from './metrics.js';
import { resolveBrowsePath } from './browse-path.js';
import { qualityOf } from './quality.js';
import { readingOf } from './reading.js';
import type { NodeBinding } from './settings.js';
import { variantFor } from './write-value.js';

interface Item {
  property: PropertyInstance;
  nodeId: string;
}

/**
 * One device on a shared session. Subscribes (one monitored item per property, sampling interval
 * = its collect cycle, grouped per cycle on a shared subscription) or, when `subscribe: false` or
 * the server refuses subscriptions, reads every property once per collect cycle. Every session
 * (re)start re-creates all of it; `epoch` makes work started for an older session a no-op.
 */
export class DeviceBinding implements ConnectionListener {
  /** Properties with the node id they have on the current session (browse paths resolved). */
  private items: Item[] = [];
  /** Properties whose browse path did not resolve on the current session, with the reason. */
  private unresolved = new Map<string, string>();
  private epoch = 0;
  private groups: { interval: number; group: ClientMonitoredItemGroup }[] = [];
  private timers: Timer[] = [];
  private pending: DriverReading[] = [];
  private flushScheduled = false;
  private lastState = '';
  /** Why the device polls instead of subscribing (undefined while subscribed). */
  pollingReason: string | undefined;

  constructor(
    readonly device: DeviceInstance,
    private readonly nodes: NodeBinding[],
    private readonly connection: OpcuaConnection,
    private readonly ctx: DriverContext,
    private readonly metrics: OpcuaMetrics,
    /** This device's own `subscribe` setting (devices sharing a session may differ). */
    private readonly subscribes: boolean,
  ) {}

  async up(session: ClientSession): Promise<void> {
    const epoch = ++this.epoch;
    this.clearLocal();
    await this.resolve(session);
    if (epoch !== this.epoch) return;
    const byCycle = groupByCycle(this.items);
    if (this.subscribes) {
      try {
        await this.subscribe(session, byCycle, epoch);
        this.pollingReason = undefined;
      } catch (err) {
        // A session that died meanwhile is not a refusal: the connection reports it and re-runs up().
        if (epoch !== this.epoch || this.connection.session !== session) return;
        await this.releaseGroups(session);
        this.pollingReason = `server refused the subscription (${errorText(err)}); reading every collect cycle instead`;
        this.ctx.logger.warn({ device: this.device.id, reason: this.pollingReason }, 'OPC UA falls back to polling');
        this.poll(session, byCycle, epoch);
      }
    } else {
      this.pollingReason = 'subscribe: false in the device configData';
      this.poll(session, byCycle, epoch);
    }
    if (epoch === this.epoch) this.setState('online');
  }

  down(reason: string): void {
    this.epoch += 1;
    this.clearLocal();
    // The session is gone: its subscriptions died with it, nothing to delete on the server.
    this.groups = [];
    this.setState('offline', reason);
  }

  /** Stops the device: timers off, monitored items deleted while the session is alive. */
  async stop(): Promise<void> {
    this.epoch += 1;
    this.clearLocal();
    const session = this.connection.session;
    if (session) await this.releaseGroups(session);
    this.groups = [];
  }

  async write(property: string, value: PropertyValue): Promise<DriverReading> {
    const declared = this.device.properties.find((p) => p.name === property);
    const what = `device ${this.device.id} property ${property}`;
    if (!declared) throw opcuaErrors.create('KEDGE_OPCUA_UNKNOWN_PROPERTY', `${what} is not declared`);
    if (declared.accessMode !== 'ReadWrite') throw opcuaErrors.create('KEDGE_OPCUA_READ_ONLY', `${what} is ReadOnly`);
    const session = this.connection.session;
    if (!session) throw opcuaErrors.create('KEDGE_OPCUA_NOT_CONNECTED', `${what}: ${this.connection.downReason}`);
    const item = this.items.find((i) => i.property.name === property);
    if (!item)
      throw opcuaErrors.create(
        'KEDGE_OPCUA_WRITE_REJECTED',
        `${what}: ${this.unresolved.get(property) ?? 'the device is still being set up on the session'}`,
      );
    const dataType = await this.connection.dataTypeOf(session, item.nodeId).catch((err: unknown) => {
      throw opcuaErrors.create(
        'KEDGE_OPCUA_WRITE_REJECTED',
        `${what}: cannot read the DataType of ${item.nodeId}: ${errorText(err)}`,
        { cause: err },
      );
    });
    const variant = variantFor(dataType, value, what);
    const status = await session.write({
      nodeId: item.nodeId,
      attributeId: AttributeIds.Value,
      value: { value: variant },
    });
    if (!status.isGood()) {
      throw opcuaErrors.create(
        'KEDGE_OPCUA_WRITE_REJECTED',
        `${what}: the server refused writing ${JSON.stringify(value)} to ${item.nodeId}: ${status.name}`,
        {
          detail: { statusCode: status.name, nodeId: item.nodeId },
        },
      );
    }
    const dv = await session.read({ nodeId: item.nodeId, attributeId: AttributeIds.Value });
    return readingOf(item.property, dv, this.ctx.clock.now());
  }

  /** Node ids for this session: nodeIDs as given, browse paths looked up (a failure makes the property bad). */
  private async resolve(session: ClientSession): Promise<void> {
    const items: Item[] = [];
    const unresolved = new Map<string, string>();
    for (const [i, node] of this.nodes.entries()) {
      const property = this.device.properties[i]!;
      if ('nodeId' in node) {
        items.push({ property, nodeId: node.nodeId });
        continue;
      }
      try {
        items.push({ property, nodeId: await resolveBrowsePath(session, node.browsePath) });
      } catch (err) {
        unresolved.set(property.name, errorText(err));
      }
    }
    this.items = items;
    this.unresolved = unresolved;
    if (unresolved.size === 0) return;
    const now = this.ctx.clock.now();
    this.emit(
      [...unresolved].map(([name, reason]) => ({
        property: name,
        value: null,
        quality: 'bad' as const,
        ts: now,
        reason,
      })),
    );
  }

  private async subscribe(session: ClientSession, byCycle: Map<number, Item[]>, epoch: number): Promise<void> {
    for (const [interval, items] of byCycle) {
      const sub = await this.connection.subscription(session, interval);
      if (epoch !== this.epoch) {
        await this.connection.releaseSubscription(interval);
        return;
      }
      const group = await sub
        .monitorItems(
          items.map((i) => ({ nodeId: i.nodeId, attributeId: AttributeIds.Value })),
          { samplingInterval: interval, discardOldest: true, queueSize: 1 },
          TimestampsToReturn.Both,
        )
        .catch(async (err: unknown) => {
          await this.connection.releaseSubscription(interval);
          throw err;
        });
      this.groups.push({ interval, group });
      if (epoch !== this.epoch) return;
      group.on('changed', (_item: ClientMonitoredItemBase, dv: DataValue, index: number) => {
        if (epoch === this.epoch) this.queue(readingOf(items[index]!.property, dv, this.ctx.clock.now()));
      });
      this.reportRefusedItems(group, items);
    }
  }

  /** Items the server did not accept (e.g. BadNodeIdUnknown) never change: report them bad once. */
  private reportRefusedItems(group: ClientMonitoredItemGroup, items: Item[]): void {
    group.monitoredItems.forEach((mi, index) => {
      const q = qualityOf(mi.statusCode);
      if (q.quality !== 'bad') return;
      this.queue({
        property: items[index]!.property.name,
        value: null,
        quality: 'bad',
        ts: this.ctx.clock.now(),
        reason: q.reason!,
        code: q.reason!,
      });
    });
  }

  private poll(session: ClientSession, byCycle: Map<number, Item[]>, epoch: number): void {
    for (const [interval, items] of byCycle) {
      let inFlight = false;
      const readAll = async () => {
        if (inFlight || epoch !== this.epoch) return;
        inFlight = true;
        try {
          const started = this.ctx.clock.now();
          const values = await session.read(items.map((i) => ({ nodeId: i.nodeId, attributeId: AttributeIds.Value })));
          this.metrics.reads.inc();
          this.metrics.pollSeconds.observe({ protocol: 'opcua' }, (this.ctx.clock.now() - started) / 1000);
          if (epoch !== this.epoch) return;
          const now = this.ctx.clock.now();
          this.emit(values.map((dv, k) => readingOf(items[k]!.property, dv, now)));
        } catch (err) {
          // A dead channel is reported by the connection; anything else makes this poll's values bad.
          if (epoch === this.epoch && this.connection.session === session) {
            const now = this.ctx.clock.now();
            this.emit(
              items.map((i) => ({
                property: i.property.name,
                value: null,
                quality: 'bad' as const,
                ts: now,
                reason: `read failed: ${errorText(err)}`,
                code: isKedgeError(err) ? err.code : 'KEDGE_OPCUA_READ_FAILED',
              })),
            );
          }
        } finally {
          inFlight = false;
        }
      };
      void readAll();
      this.timers.push(this.ctx.clock.setInterval(() => void readAll(), interval));
    }
  }

  /** Changes of one publish response arrive in one synchronous loop: flush them as one batch. */
  private queue(reading: DriverReading): void {
    this.pending.push(reading);
    this.metrics.notifications.inc();
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const batch = this.pending;
      this.pending = [];
      if (batch.length > 0) this.emit(batch);
    });
  }

  private emit(readings: DriverReading[]): void {
    const bad = readings.filter((r) => r.quality === 'bad').length;
    if (bad > 0) this.metrics.badValues.inc({ device: this.device.id }, bad);
    this.ctx.readings(this.device.id, readings);
  }

  private async releaseGroups(session: ClientSession): Promise<void> {
    const groups = this.groups;
    this.groups = [];
    for (const { interval, group } of groups) {
      group.removeAllListeners('changed');
      if (this.connection.session === session) await group.terminate().catch(() => undefined);
      await this.connection.releaseSubscription(interval);
    }
  }

  private clearLocal(): void {
    for (const t of this.timers) this.ctx.clock.clearInterval(t);
    this.timers = [];
    this.pending = [];
  }

  private setState(state: DeviceState, reason?: string): void {
    const key = `${state}:${reason ?? ''}`;
    if (key === this.lastState) return;
    this.lastState = key;
    this.ctx.state(this.device.id, state, reason);
  }
}

function groupByCycle(items: Item[]): Map<number, Item[]> {
  const map = new Map<number, Item[]>();
  for (const item of items) {
    const list = map.get(item.property.collectCycleMs) ?? [];
    list.push(item);
    map.set(item.property.collectCycleMs, list);
  }
  return map;
}

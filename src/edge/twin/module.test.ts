import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import {
  edgeTopics,
  type RawReading,
  type TwinReportContent,
  type TwinUpdate,
  type WriteResult,
} from '../../contracts/index.js';
import { newMessage } from '../../core/message/index.js';
import { device, mapperLogin, model, startNode, type NodeHarness } from '../testing/index.js';

const ID = 'default/d1';
const props = [
  { name: 'temp', type: 'FLOAT', accessMode: 'ReadOnly' },
  { name: 'sp', type: 'INT', accessMode: 'ReadWrite' },
];
const devProps = [{ name: 'temp', reportToCloud: true }, { name: 'sp' }];

async function withDevice(annotations: Record<string, string> = {}): Promise<NodeHarness> {
  const h = await startNode({ desiredTimeoutMs: 5000, twinReportIntervalMs: 0 });
  await h.node.bus.request('meta.apply', { documents: [model(props), device('d1', devProps, annotations)] });
  return h;
}

function cloudDesired(desired: Record<string, string>) {
  return newMessage(
    { source: 'cloudhub', group: 'twin', operation: 'update', resource: 'node/n1/default/devicetwin/d1' },
    { desired },
    { id: 'cloud-1' },
  );
}

/**
 * A mapper's write result as a mapper sends it: over MQTT to the node's broker (QoS 0: the manual
 * clock would hold a QoS 1 acknowledgement), then waits until the twin has seen it.
 */
async function mapperWriteResult(h: NodeHarness, result: Omit<WriteResult, 'event_id' | 'timestamp'>) {
  const client = await mqtt.connectAsync(h.node.eventbus.url, { protocolVersion: 4, ...mapperLogin(h.dataDir) });
  const seen = new Promise<void>((resolve) =>
    h.node.bus.subscribe('device.writeResult', { name: 'seen', group: 'test' }, () => resolve()),
  );
  try {
    await client.publishAsync(edgeTopics.writeResult(ID), JSON.stringify({ event_id: 'w', timestamp: 1, ...result }));
    await seen;
  } finally {
    await client.endAsync();
  }
}

function twinReports(h: NodeHarness): TwinReportContent[] {
  return h.node.store.outbox
    .peek(1000, 1 << 30)
    .filter((e) => e.kind === 'twin')
    .map((e) => e.message.content as TwinReportContent);
}

describe('TwinModule', () => {
  let h: NodeHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('a desired value from the cloud goes out as a delta, is acked after commit, and fails with a reason after the timeout', async () => {
    h = await withDevice();
    h.node.bus.publish('cloud.inbound', cloudDesired({ sp: '30' }));
    const delta = h.on<{ delta: Record<string, string> }>(edgeTopics.twinUpdateDelta(ID));
    expect(delta.at(-1)?.delta).toEqual({ sp: '30' });
    expect(h.acks).toEqual([]);
    await h.settle();
    expect(h.acks).toEqual([{ parentMsgId: 'cloud-1', ok: true }]);
    expect(
      twinReports(h).some((r) => r.properties.sp?.desired?.value === '30' && r.properties.sp.desiredSource === 'cloud'),
    ).toBe(true);
    await h.settle(5000);
    const view = await h.node.bus.request('twin.view', { deviceId: ID });
    expect(view?.properties.sp?.pending).toBeUndefined();
    expect(view?.properties.sp?.failed?.reason).toMatch(/not confirmed by the device within 5000 ms; nothing reported/);
    const failure = h.on<{ property: string; value: string; reason: string }>(edgeTopics.desiredFailed(ID)).at(-1);
    expect(failure).toMatchObject({ property: 'sp', value: '30', reason: expect.stringContaining('5000 ms') });
    // Not on KubeEdge's result topic, which answers requests only.
    expect(h.on(edgeTopics.twinUpdateResult(ID))).toEqual([]);
    expect(twinReports(h).some((r) => r.properties.sp?.failed?.reason.includes('5000 ms'))).toBe(true);
  });

  it('publishes a twin document with each reading’s before and after image, a confirmed desired value included', async () => {
    h = await withDevice();
    const reading = (property: string, value: number, i: number) => ({
      property,
      value,
      quality: 'good' as const,
      ts: 1_700_000_000_000 + i,
    });
    h.node.bus.publish('device.readings', { deviceId: ID, source: 'mapper', readings: [reading('temp', 20, 0)] });
    await h.node.bus.request('twin.setDesired', { deviceId: ID, properties: { sp: '30' } });
    h.published.length = 0;
    h.node.bus.publish('device.readings', {
      deviceId: ID,
      source: 'mapper',
      readings: [reading('temp', 21, 1), reading('sp', 30, 1)],
    });
    type Doc = {
      twin: Record<
        string,
        {
          last: { actual?: { value: string }; expected?: { value: string }; actual_version: { edge: number } };
          current: { actual?: { value: string }; actual_version: { edge: number } };
        }
      >;
    };
    const doc = h.on<Doc>(edgeTopics.twinUpdateDocument(ID)).at(-1)!;
    expect(doc.twin.temp).toMatchObject({
      last: { actual: { value: '20' }, actual_version: { edge: 1 } },
      current: { actual: { value: '21' }, actual_version: { edge: 2 } },
    });
    expect(doc.twin.sp!.last.actual).toBeUndefined();
    expect(doc.twin.sp).toMatchObject({ last: { expected: { value: '30' } }, current: { actual: { value: '30' } } });
    // The same property twice in one message: the document shows the last change.
    h.published.length = 0;
    h.node.bus.publish('device.readings', {
      deviceId: ID,
      source: 'mapper',
      readings: [reading('temp', 22, 2), reading('temp', 23, 3)],
    });
    expect(h.on<Doc>(edgeTopics.twinUpdateDocument(ID)).at(-1)!.twin.temp).toMatchObject({
      last: { actual: { value: '22' } },
      current: { actual: { value: '23' } },
    });
    const view = await h.node.bus.request('twin.view', { deviceId: ID });
    expect(view?.properties.sp?.pending).toBeUndefined();
  });

  it('refuses an edge app’s desired value whose expected_version is older than the twin’s (409); a current one, or none, is applied', async () => {
    h = await withDevice({ 'kedge.io/local-desired': 'true' });
    // The result is published once the twin's handler has returned (a microtask later).
    const update = async (eventId: string, value: string, version?: { cloud: number; edge: number }) => {
      h!.node.bus.publish('twin.update', {
        deviceId: ID,
        message: {
          event_id: eventId,
          timestamp: 1,
          twin: { sp: { expected: { value }, ...(version ? { expected_version: version } : {}) } },
        },
      });
      await Promise.resolve();
    };
    type Result = {
      event_id: string;
      code?: number;
      reason?: string;
      twin?: Record<string, { expected?: { value: string }; expected_version?: { cloud: number; edge: number } }>;
    };
    const result = (eventId: string) =>
      h!.on<Result>(edgeTopics.twinUpdateResult(ID)).find((r) => r.event_id === eventId);
    const desired = async () =>
      (await h!.node.bus.request('twin.view', { deviceId: ID }))?.properties.sp?.desired?.value;

    await update('u1', '10', { cloud: 0, edge: 0 });
    expect(result('u1')?.twin?.sp).toMatchObject({
      expected: { value: '10' },
      expected_version: { cloud: 0, edge: 1 },
    });
    h.node.bus.publish('cloud.inbound', cloudDesired({ sp: '20' }));
    expect(await desired()).toBe('20');
    await update('u2', '11', { cloud: 0, edge: 1 });
    expect(result('u2')).toMatchObject({
      code: 409,
      reason: expect.stringContaining(
        "twin.sp.expected_version {cloud: 0, edge: 1} is older than the twin's {cloud: 1, edge: 1}",
      ),
    });
    expect(await desired()).toBe('20');
    await update('u3', '12', { cloud: 1, edge: 1 });
    expect(result('u3')?.code).toBeUndefined();
    expect(await desired()).toBe('12');
    await update('u4', '13');
    expect(await desired()).toBe('13');
  });

  it("takes `expected` beside `actual` as the mapper's observed desired value (mapper-framework): no 403, never a new desired value; alone it still asks for one", async () => {
    h = await withDevice();
    const update = async (eventId: string, entry: Record<string, unknown>) => {
      h!.node.bus.publish('twin.update', {
        deviceId: ID,
        message: { event_id: eventId, timestamp: 1, twin: { sp: entry } },
      });
      await Promise.resolve();
      await Promise.resolve();
    };
    const result = (eventId: string) =>
      h!.on<{ event_id: string; code?: number }>(edgeTopics.twinUpdateResult(ID)).find((r) => r.event_id === eventId);
    const view = async () => (await h!.node.bus.request('twin.view', { deviceId: ID }))?.properties.sp;

    // mapper-framework pkg/common/event.go: expected (what it holds) and actual (what it read).
    await update('r1', { actual: { value: '21' }, expected: { value: '99' } });
    expect(result('r1')?.code).toBeUndefined();
    expect((await view())?.desired).toBeUndefined();
    // Alone, expected is a request: refused without the local-desired annotation.
    await update('r2', { expected: { value: '99' } });
    expect(result('r2')?.code).toBe(403);
  });

  it('answers a twin/update with one document carrying its event_id, last null for a twin without a value (dtmanager/twin.go)', async () => {
    h = await withDevice();
    const docs = () =>
      h!.on<{
        event_id: string;
        twin: Record<string, { last: { actual?: { value: string } } | null; current: { actual?: { value: string } } }>;
      }>(edgeTopics.twinUpdateDocument(ID));
    const update = async (eventId: string, value: string) => {
      h!.node.bus.publish('twin.update', {
        deviceId: ID,
        message: { event_id: eventId, timestamp: 1, twin: { temp: { actual: { value } } } },
      });
      await Promise.resolve();
      await Promise.resolve();
    };
    await update('doc-1', '21');
    expect(docs()).toHaveLength(1);
    expect(docs()[0]).toMatchObject({
      event_id: 'doc-1',
      twin: { temp: { last: null, current: { actual: { value: '21' } } } },
    });
    await update('doc-2', '22');
    expect(docs()).toHaveLength(2);
    expect(docs()[1]).toMatchObject({
      event_id: 'doc-2',
      twin: { temp: { last: { actual: { value: '21' } }, current: { actual: { value: '22' } } } },
    });
  });

  it('creates, updates and deletes an optional twin for a property the model lacks (dtmanager/twin.go dealTwinAdd, dealTwinDelete)', async () => {
    h = await withDevice();
    const update = async (eventId: string, twin: Record<string, unknown>) => {
      // As the EventBus hands it over after its check (a test may send what the check would refuse).
      h!.node.bus.publish('twin.update', {
        deviceId: ID,
        message: { event_id: eventId, timestamp: 1_700_000_000_000, twin: twin as TwinUpdate['twin'] },
      });
      await Promise.resolve();
      await Promise.resolve();
    };
    type Result = { event_id: string; code?: number; reason?: string; twin?: Record<string, unknown> };
    const result = (eventId: string) =>
      h!.on<Result>(edgeTopics.twinUpdateResult(ID)).find((r) => r.event_id === eventId);
    const doc = (eventId: string) =>
      h!
        .on<{ event_id: string; twin: Record<string, unknown> }>(edgeTopics.twinUpdateDocument(ID))
        .find((d) => d.event_id === eventId);

    // mappers-go CreateMessageTwinUpdate for a twin the model does not declare (type from metadata).
    await update('o1', { firmware: { actual: { value: '1.4.2', metadata: {} }, metadata: { type: 'string' } } });
    expect(result('o1')?.code).toBeUndefined();
    expect(result('o1')?.twin?.firmware).toMatchObject({
      actual: { value: '1.4.2' },
      optional: true,
      metadata: { type: 'string' },
    });
    expect(doc('o1')?.twin.firmware).toMatchObject({
      last: null,
      current: { actual: { value: '1.4.2' }, optional: true },
    });
    const view = await h.node.bus.request('twin.view', { deviceId: ID });
    expect(view?.properties.firmware).toMatchObject({ optional: true, reported: { value: '1.4.2', quality: 'good' } });
    await update('o2', { uptime: { actual: { value: '12' }, metadata: { type: 'int' } } });
    expect(result('o2')?.code).toBeUndefined();
    await h.settle();
    expect(
      twinReports(h).some((r) => r.properties.firmware?.optional && r.properties.firmware.reported?.value === '1.4.2'),
    ).toBe(true);
    // A value its type does not hold, a type KubeEdge does not know, a name KubeEdge refuses: 400.
    await update('o3', { uptime: { actual: { value: 'soon' } } });
    expect(result('o3')).toMatchObject({ code: 400, reason: expect.stringContaining('twin.uptime.actual.value') });
    await update('o4', { x: { actual: { value: '1' }, metadata: { type: 'decimal' } } });
    expect(result('o4')).toMatchObject({ code: 400, reason: expect.stringContaining('metadata.type decimal') });
    await update('o5', { 'a b': { actual: { value: '1' } } });
    expect(result('o5')?.code).toBe(400);

    // "<name>": null deletes an optional twin: null in the result, current null in the document.
    await update('d1', { firmware: null });
    expect(result('d1')?.code).toBeUndefined();
    expect(result('d1')?.twin).toEqual({ firmware: null });
    expect(doc('d1')?.twin.firmware).toMatchObject({ last: { actual: { value: '1.4.2' } }, current: null });
    expect((await h.node.bus.request('twin.view', { deviceId: ID }))?.properties.firmware).toBeUndefined();
    await h.settle();
    expect(twinReports(h).some((r) => r.properties.firmware?.deleted === true)).toBe(true);
    // Deleting what is not there is a bad request; null on a model's twin is left alone (not optional).
    await update('d2', { firmware: null });
    expect(result('d2')).toMatchObject({ code: 400, reason: expect.stringContaining('no twin firmware to delete') });
    await update('d3', { temp: null });
    expect(result('d3')?.code).toBeUndefined();
    expect(result('d3')?.twin).toEqual({});
    // Set again after its delete: a new twin (last null).
    await update('d4', { firmware: { actual: { value: '1.5.0' } } });
    expect(doc('d4')?.twin.firmware).toMatchObject({ last: null, current: { actual: { value: '1.5.0' } } });
  });

  it('sends the delta again after a twin update while expected differs from actual, also after the timeout (BuildDeviceTwinDelta)', async () => {
    h = await withDevice();
    await h.node.bus.request('twin.setDesired', { deviceId: ID, properties: { sp: '30' } });
    await h.settle(5000);
    expect((await h.node.bus.request('twin.view', { deviceId: ID }))?.properties.sp?.failed).toBeDefined();
    const deltas = () => h!.on<{ delta: Record<string, string> }>(edgeTopics.twinUpdateDelta(ID));
    const before = deltas().length;
    // A KubeEdge mapper reports (twin/update with actual): the delta follows, sp still wanted.
    h.node.bus.publish('twin.update', {
      deviceId: ID,
      message: { event_id: 'm1', timestamp: 1_700_000_005_100, twin: { temp: { actual: { value: '20' } } } },
    });
    await h.settle();
    expect(deltas().length).toBe(before + 1);
    expect(deltas().at(-1)?.delta).toEqual({ sp: '30' });
    // The mapper applied it this time: the late read-back confirms it, and no delta follows the next report.
    h.node.bus.publish('twin.update', {
      deviceId: ID,
      message: { event_id: 'm2', timestamp: 1_700_000_005_200, twin: { sp: { actual: { value: '30' } } } },
    });
    await h.settle();
    const sp = (await h.node.bus.request('twin.view', { deviceId: ID }))?.properties.sp;
    expect(sp?.failed).toBeUndefined();
    expect(sp?.reported?.value).toBe('30');
    const after = deltas().length;
    h.node.bus.publish('twin.update', {
      deviceId: ID,
      message: { event_id: 'm3', timestamp: 1_700_000_005_300, twin: { temp: { actual: { value: '21' } } } },
    });
    await h.settle();
    expect(deltas().length).toBe(after);
  });

  it('keeps one twin report per device in the outbox while the cloud is away, newest values folded in', async () => {
    h = await withDevice();
    await h.node.bus.request('twin.setDesired', { deviceId: ID, properties: { sp: '7' } });
    await h.settle();
    for (const [i, value] of [20.5, 21.5, 22.5].entries()) {
      h.node.bus.publish('device.readings', {
        deviceId: ID,
        source: 'mapper',
        readings: [{ property: 'temp', value, quality: 'good', ts: 1_700_000_000_000 + i }],
      });
      await h.settle();
    }
    const reports = twinReports(h);
    expect(reports).toHaveLength(1);
    expect(reports[0]!.properties.temp?.reported?.value).toBe('22.5');
    expect(reports[0]!.properties.sp?.desired?.value).toBe('7');
  });

  it('a reading and a desired value of the same property in one batch go out in one report part', async () => {
    h = await withDevice();
    await h.node.bus.request('twin.setDesired', { deviceId: ID, properties: { sp: '7' } });
    h.node.bus.publish('device.readings', {
      deviceId: ID,
      source: 'mapper',
      readings: [{ property: 'sp', value: 5, quality: 'good', ts: 1_700_000_000_000 }],
    });
    h.node.bus.publish('device.readings', {
      deviceId: ID,
      source: 'mapper',
      readings: [{ property: 'sp', value: 6, quality: 'good', ts: 1_700_000_000_001 }],
    });
    await h.settle();
    const reports = twinReports(h);
    expect(reports).toHaveLength(1);
    expect(reports[0]!.properties.sp?.desired?.value).toBe('7');
    expect(reports[0]!.properties.sp?.reported).toMatchObject({ value: '6', ts: 1_700_000_000_001 });
    const view = await h.node.bus.request('twin.view', { deviceId: ID });
    expect(view?.properties.sp?.reported?.value).toBe('6');
  });

  it('a mapper write result with a matching read-back confirms the desired value', async () => {
    h = await withDevice();
    await h.node.bus.request('twin.setDesired', { deviceId: ID, properties: { sp: '12' } });
    const inputs: RawReading[] = [];
    h.node.bus.subscribe('device.readings', { name: 'count', group: 'test' }, (e) => void inputs.push(...e.readings));
    await mapperWriteResult(h, {
      property: 'sp',
      desired: '12',
      ok: true,
      readBack: { property: 'sp', value: 12, quality: 'good', ts: 5 },
    });
    // One write, one pipeline input: the read-back enters once (it entered twice: the mapper sent it
    // as a reading too, and the twin re-published it; smoothing counted it twice).
    expect(inputs).toEqual([{ property: 'sp', value: 12, quality: 'good', ts: 5 }]);
    const view = await h.node.bus.request('twin.view', { deviceId: ID });
    expect(view?.properties.sp).toMatchObject({ desired: { value: '12' }, reported: { value: '12', quality: 'good' } });
    expect(view?.properties.sp?.pending).toBeUndefined();
    await h.settle(6000);
    expect((await h.node.bus.request('twin.view', { deviceId: ID }))?.properties.sp?.failed).toBeUndefined();
  });

  it('a failed write is reported with the mapper reason; a read-back that differs fails too', async () => {
    h = await withDevice();
    await h.node.bus.request('twin.setDesired', { deviceId: ID, properties: { sp: '5' } });
    await mapperWriteResult(h, {
      property: 'sp',
      desired: '5',
      ok: false,
      reason: 'exception 2 (Illegal Data Address)',
    });
    expect((await h.node.bus.request('twin.view', { deviceId: ID }))?.properties.sp?.failed?.reason).toBe(
      'exception 2 (Illegal Data Address)',
    );
    await h.node.bus.request('twin.setDesired', { deviceId: ID, properties: { sp: '6' } });
    await mapperWriteResult(h, {
      property: 'sp',
      desired: '6',
      ok: true,
      readBack: { property: 'sp', value: 4, quality: 'good', ts: 5 },
    });
    expect((await h.node.bus.request('twin.view', { deviceId: ID }))?.properties.sp?.failed?.reason).toContain(
      'reads back 4',
    );
  });

  it('announces unconfirmed desired values again when the device comes online (the first delta went out before a mapper hosted it)', async () => {
    h = await startNode({ desiredTimeoutMs: 5000, twinReportIntervalMs: 0 });
    await h.node.bus.request('meta.apply', {
      documents: [model(props), device('d1', [{ name: 'temp' }, { name: 'sp', desired: { value: '7' } }])],
    });
    const deltas = () => h!.on<{ delta: Record<string, string> }>(edgeTopics.twinUpdateDelta(ID));
    expect(deltas().map((d) => d.delta)).toEqual([{ sp: '7' }]);
    const online = (state: 'online' | 'offline', t: number) =>
      h!.node.bus.publish('device.state', { deviceId: ID, message: { event_id: `s${t}`, timestamp: t, state } });
    online('online', 10);
    expect(deltas().map((d) => d.delta)).toEqual([{ sp: '7' }, { sp: '7' }]);
    // Still online: no new delta. Timed out, then online again: the value is wanted again.
    online('online', 11);
    expect(deltas()).toHaveLength(2);
    await h.settle(5000);
    expect((await h.node.bus.request('twin.view', { deviceId: ID }))?.properties.sp?.failed).toBeDefined();
    online('offline', 12);
    online('online', 13);
    expect(deltas().map((d) => d.delta)).toEqual([{ sp: '7' }, { sp: '7' }, { sp: '7' }]);
    const view = await h.node.bus.request('twin.view', { deviceId: ID });
    expect(view?.properties.sp).toMatchObject({ pending: true });
    expect(view?.properties.sp?.failed).toBeUndefined();
    // A device that already reports the desired value gets no delta.
    h.node.bus.publish('device.readings', {
      deviceId: ID,
      readings: [{ property: 'sp', value: 7, quality: 'good', ts: 14 }],
      source: 'mapper',
    });
    online('offline', 15);
    online('online', 16);
    expect(deltas()).toHaveLength(3);
  });

  it('rejects desired values for ReadOnly, unknown properties and bad values as a whole', async () => {
    h = await withDevice();
    await expect(h.node.bus.request('twin.setDesired', { deviceId: ID, properties: { temp: '1' } })).rejects.toThrow(
      /ReadOnly/,
    );
    await expect(
      h.node.bus.request('twin.setDesired', { deviceId: ID, properties: { sp: '1', nope: '2' } }),
    ).rejects.toThrow(/no property nope/);
    await expect(h.node.bus.request('twin.setDesired', { deviceId: ID, properties: { sp: 'high' } })).rejects.toThrow(
      /not a valid INT/,
    );
    expect((await h.node.bus.request('twin.view', { deviceId: ID }))?.properties.sp?.desired).toBeUndefined();
  });

  it("local desired values (the edge API): booleans in one spelling, ranges and the register's steps checked", async () => {
    h = await startNode({ desiredTimeoutMs: 5000, twinReportIntervalMs: 0 });
    const visitor = (configData: Record<string, unknown>) => ({ protocolName: 'modbus', configData });
    await h.node.bus.request('meta.apply', {
      documents: [
        model([
          { name: 'relay', type: 'BOOLEAN', accessMode: 'ReadWrite' },
          { name: 'pulse', type: 'FLOAT', accessMode: 'ReadWrite', minimum: '1.5', maximum: '98302.5', unit: 's' },
        ]),
        device('d1', [
          { name: 'relay', visitors: visitor({ register: 'CoilRegister', offset: 2 }) },
          {
            name: 'pulse',
            visitors: visitor({ register: 'HoldingRegister', offset: 52, rawType: 'uint16', scale: 1.5 }),
          },
        ]),
      ],
    });
    const view = await h.node.bus.request('twin.setDesired', {
      deviceId: ID,
      properties: { relay: '1', pulse: '3.0' },
    });
    expect([view.properties.relay?.desired?.value, view.properties.pulse?.desired?.value]).toEqual(['true', '3']);
    // The read-back (a boolean true) confirms "true"; "1" stayed pending forever.
    h.node.bus.publish('device.readings', {
      deviceId: ID,
      source: 'mapper',
      readings: [{ property: 'relay', value: true, quality: 'good', ts: 1_700_000_000_001 }],
    });
    await h.settle();
    expect((await h.node.bus.request('twin.view', { deviceId: ID }))?.properties.relay?.pending).toBeFalsy();
    await expect(h.node.bus.request('twin.setDesired', { deviceId: ID, properties: { pulse: '250' } })).rejects.toThrow(
      'device default/d1: pulse=250: 250 s is not a multiple of 1.5 s (a uint16 register scaled by 1.5); nearest 250.5',
    );
    await expect(h.node.bus.request('twin.setDesired', { deviceId: ID, properties: { pulse: '1e9' } })).rejects.toThrow(
      'above the maximum 98302.5 s',
    );
  });

  it('twin, pending desired value and device state survive a restart; the delta is announced again', async () => {
    h = await withDevice();
    h.node.bus.publish('device.readings', {
      deviceId: ID,
      readings: [{ property: 'temp', value: 20.5, quality: 'good', ts: 9 }],
      source: 'mapper',
    });
    h.node.bus.publish('device.state', { deviceId: ID, message: { event_id: 's', timestamp: 10, state: 'online' } });
    await h.node.bus.request('twin.setDesired', { deviceId: ID, properties: { sp: '8' } });
    await h.settle();
    h = await h.restart();
    const view = await h.node.bus.request('twin.view', { deviceId: ID });
    expect(view).toMatchObject({
      state: 'online',
      properties: { temp: { reported: { value: '20.5' } }, sp: { desired: { value: '8' }, pending: true } },
    });
    expect(h.on<{ delta: Record<string, string> }>(edgeTopics.twinUpdateDelta(ID)).at(-1)?.delta).toEqual({ sp: '8' });
  });

  it('answers membership/get and announces added and removed devices', async () => {
    h = await withDevice();
    expect(
      h
        .on<{ added_devices: Array<{ id: string }> }>(edgeTopics.membershipUpdated('n1'))
        .at(-1)
        ?.added_devices.map((d) => d.id),
    ).toEqual([ID]);
    h.node.bus.publish('membership.get', { eventId: 'm1' });
    expect(
      h.on<{ event_id: string; devices: Array<{ id: string }> }>(edgeTopics.membershipGetResult('n1')).at(-1),
    ).toMatchObject({ event_id: 'm1', devices: [{ id: ID }] });
    await h.node.bus.request('meta.delete', { kind: 'Device', namespace: 'default', name: 'd1' });
    expect(
      h
        .on<{ removed_devices: Array<{ id: string }> }>(edgeTopics.membershipUpdated('n1'))
        .at(-1)
        ?.removed_devices.map((d) => d.id),
    ).toEqual([ID]);
    expect(await h.node.bus.request('twin.view', { deviceId: ID })).toBeUndefined();
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import type { TSchema } from '@sinclair/typebox';
import {
  DataCleansedSchema,
  type EdgeChannels,
  EdgeChannelSchemas,
  type EdgeRequests,
  ErrorResultSchema,
  MembershipGetResultSchema,
  MembershipUpdatedSchema,
  StateUpdateResultSchema,
  TwinDeltaSchema,
  TwinDocumentSchema,
  TwinUpdateSchema,
} from '../contracts/index.js';
import type { Bus } from '../core/bus/index.js';
import { firstProblem } from '../core/schema/index.js';
import { device, model, type NodeHarness, startNode } from './testing/index.js';

const props = [
  { name: 'temp', type: 'FLOAT', accessMode: 'ReadOnly' },
  { name: 'sp', type: 'INT', accessMode: 'ReadWrite' },
];

/** The edge bus's schemas (src/contracts/edge-bus.ts) are what the modules really send. */
describe('edge bus contract', () => {
  let h: NodeHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('every payload a running node publishes matches its channel schema', async () => {
    h = await startNode({ twinReportIntervalMs: 0 });
    const seen = new Map<string, number>();
    const problems: string[] = [];
    for (const channel of Object.keys(EdgeChannelSchemas) as Array<keyof EdgeChannels>) {
      h.node.bus.subscribe(channel, { name: 'contract', group: 'test' }, (payload) => {
        seen.set(channel, (seen.get(channel) ?? 0) + 1);
        const problem = firstProblem(EdgeChannelSchemas[channel], payload);
        if (problem) problems.push(`${channel}: ${problem}`);
      });
    }
    await h.node.bus.request('meta.apply', {
      documents: [model(props), device('d1', [{ name: 'temp' }, { name: 'sp' }])],
    });
    h.node.bus.publish('device.readings', {
      deviceId: 'default/d1',
      source: 'mapper',
      readings: [{ property: 'temp', value: 21.5, quality: 'good', ts: 1_700_000_000_000 }],
    });
    await h.node.bus.request('twin.setDesired', { deviceId: 'default/d1', properties: { sp: '3' } });
    await h.settle();
    expect(problems).toEqual([]);
    for (const channel of ['devices.changed', 'device.readings', 'device.cleansed', 'mqtt.publish', 'outbox.appended'])
      expect(seen.get(channel), channel).toBeGreaterThan(0);
  });

  it('every MQTT payload it publishes for devices and apps matches its topic schema', async () => {
    h = await startNode({ twinReportIntervalMs: 0 });
    const bySuffix: Array<[RegExp, TSchema]> = [
      [/\/twin\/update\/document$/, TwinDocumentSchema],
      [/\/twin\/update\/delta$/, TwinDeltaSchema],
      [/\/twin\/(update|get)\/result$/, TwinUpdateSchema],
      [/\/state\/update\/result$/, StateUpdateResultSchema],
      [/\/membership\/get\/result$/, MembershipGetResultSchema],
      [/\/membership\/updated$/, MembershipUpdatedSchema],
      [/\/data\/cleansed$/, DataCleansedSchema],
    ];
    const d = 'default/d1';
    await h.node.bus.request('meta.apply', {
      documents: [model(props), device('d1', [{ name: 'temp' }, { name: 'sp' }])],
    });
    h.node.bus.publish('device.readings', {
      deviceId: d,
      source: 'mapper',
      readings: [{ property: 'temp', value: 21.5, quality: 'good', ts: 1_700_000_000_000 }],
    });
    await h.node.bus.request('twin.setDesired', { deviceId: d, properties: { sp: '3' } });
    h.node.bus.publish('twin.get', { deviceId: d, eventId: 'g1' });
    h.node.bus.publish('twin.get', { deviceId: 'default/nobody', eventId: 'g2' });
    h.node.bus.publish('device.state', { deviceId: d, message: { event_id: 's1', timestamp: 1, state: 'online' } });
    h.node.bus.publish('membership.get', { eventId: 'm1' });
    await h.settle();
    const problems: string[] = [];
    const checked = new Set<string>();
    for (const { topic, payload } of h.published) {
      const value = typeof payload === 'function' ? (payload as () => unknown)() : payload;
      const isError = typeof value === 'object' && value !== null && 'code' in value;
      const schema = isError ? ErrorResultSchema : bySuffix.find(([re]) => re.test(topic))?.[1];
      if (!schema) continue;
      checked.add(isError ? 'error result' : topic.replace(/^.*\/(twin|state|membership|data)\//, '$1/'));
      const problem = firstProblem(schema, value);
      if (problem) problems.push(`${topic}: ${problem}`);
    }
    expect(problems).toEqual([]);
    expect([...checked].sort()).toEqual([
      'error result',
      'membership/get/result',
      'membership/updated',
      'state/update/result',
      'twin/get/result',
      'twin/update/delta',
      'twin/update/document',
    ]);
  });

  it('is closed: an undeclared channel or request does not compile', () => {
    const misuse = (bus: Bus<EdgeChannels, EdgeRequests>) => {
      // @ts-expect-error a misspelt channel
      bus.publish('device.reading', { deviceId: 'a', readings: [], source: 'mapper' });
      // @ts-expect-error a source the channel does not take
      bus.publish('device.readings', { deviceId: 'a', readings: [], source: 'cloud' });
      // @ts-expect-error a request nobody declared
      void bus.request('twin.delete', { deviceId: 'a' });
    };
    expect(typeof misuse).toBe('function');
  });
});

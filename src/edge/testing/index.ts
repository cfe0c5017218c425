/** Test helpers for the edge modules: a whole node on a manual clock, capturing what it publishes. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import type { EdgeChannels } from '../../contracts/index.js';
import { ManualClock } from '../../core/clock/index.js';
import { EdgeConfigSchema, type EdgeConfig } from '../../core/config/index.js';
import { silentLogger } from '../../core/log/index.js';
import { createEdgeNode, type EdgeNode, type EdgeNodeOptions } from '../node.js';

export { mapperLogin, mapperUrl } from './mapper-login.js';

export interface NodeHarness {
  node: EdgeNode;
  clock: ManualClock;
  dataDir: string;
  published: EdgeChannels['mqtt.publish'][];
  acks: EdgeChannels['cloud.ack'][];
  cleansed: EdgeChannels['device.cleansed'][];
  /** Payloads published on `topic`, oldest first. */
  on<T = Record<string, unknown>>(topic: string): T[];
  /** Advances the clock past the write batch and lets promises settle. */
  settle(ms?: number): Promise<void>;
  restart(): Promise<NodeHarness>;
  close(keepDir?: boolean): Promise<void>;
}

export function model(props: Array<Record<string, unknown>>) {
  return {
    apiVersion: 'devices.kubeedge.io/v1beta1',
    kind: 'DeviceModel',
    metadata: { name: 'm', namespace: 'default' },
    spec: { protocol: 'modbus', properties: props },
  };
}

export function device(name: string, props: Array<Record<string, unknown>>, annotations: Record<string, string> = {}) {
  return {
    apiVersion: 'devices.kubeedge.io/v1beta1',
    kind: 'Device',
    metadata: { name, namespace: 'default', annotations },
    spec: {
      deviceModelRef: { name: 'm' },
      nodeName: 'n1',
      protocol: { protocolName: 'modbus', configData: {} },
      properties: props,
    },
  };
}

export async function startNode(
  overrides: Partial<EdgeConfig> = {},
  dataDir = mkdtempSync(join(tmpdir(), 'kedge-edge-unit-')),
  clock = new ManualClock(1_700_000_000_000),
  options: Partial<EdgeNodeOptions> = {},
): Promise<NodeHarness> {
  const defaults = Value.Default(EdgeConfigSchema, { node: 'n1', dataDir }) as EdgeConfig;
  const config = {
    ...defaults,
    mqtt: { ...defaults.mqtt, port: 0 },
    apiPort: 0,
    servicebusPort: 0,
    mappers: 'none' as const,
    // The clock stands at 2023-11-14 while fixtures stamp readings 1, 2, 3 ms after the epoch for
    // readability: no age bound here (plausible.test.ts and the pipeline test check the bounds).
    readings: { maxFutureMs: 300_000, maxAgeMs: Number.MAX_SAFE_INTEGER },
    ...overrides,
  };
  const node = createEdgeNode(config, { logger: silentLogger(), clock, ...options });
  const published: EdgeChannels['mqtt.publish'][] = [];
  const acks: EdgeChannels['cloud.ack'][] = [];
  const cleansed: EdgeChannels['device.cleansed'][] = [];
  node.bus.subscribe('device.cleansed', { name: 'test', group: 'test' }, (e) => void cleansed.push(e));
  node.bus.subscribe('mqtt.publish', { name: 'test', group: 'test' }, (e) => void published.push(e));
  node.bus.subscribe('cloud.ack', { name: 'test', group: 'test' }, (e) => void acks.push(e));
  await node.start();
  const h: NodeHarness = {
    node,
    clock,
    dataDir,
    published,
    acks,
    cleansed,
    on: <T>(topic: string) =>
      published
        .filter((p) => p.topic === topic)
        .map((p) => (typeof p.payload === 'function' ? (p.payload as () => unknown)() : p.payload) as T),
    settle: async (ms = 60) => {
      clock.advance(ms);
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    },
    restart: async () => {
      await node.stop();
      return startNode(overrides, dataDir, clock, options);
    },
    close: async (keepDir = false) => {
      await node.stop();
      if (!keepDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return h;
}

import { closeSync, openSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runKedge } from '../e2e/harness/kedge.js';
import { edgeSetup, startCloud, startEdge, tempDir, waitFor, type KedgeProcess } from '../e2e/harness/processes.js';
import { reportFigures } from './harness/report.js';

const DEVICES = 30;

/** A model and DEVICES devices of it, each with a desired value of its own. */
function writeDevices(file: string, node: string): void {
  const docs = [
    {
      apiVersion: 'devices.kubeedge.io/v1beta1',
      kind: 'DeviceModel',
      metadata: { name: 'valve', namespace: 'default' },
      spec: {
        protocol: 'modbus',
        properties: [
          { name: 'position', type: 'INT', accessMode: 'ReadOnly' },
          { name: 'setpoint', type: 'INT', accessMode: 'ReadWrite' },
        ],
      },
    },
    ...Array.from({ length: DEVICES }, (_, i) => ({
      apiVersion: 'devices.kubeedge.io/v1beta1',
      kind: 'Device',
      metadata: { name: `valve-${i}`, namespace: 'default' },
      spec: {
        deviceModelRef: { name: 'valve' },
        nodeName: node,
        protocol: {
          protocolName: 'modbus',
          configData: { communicateMode: 'TCP', ip: '127.0.0.1', port: 1502, slaveID: 1 },
        },
        properties: [
          {
            name: 'position',
            visitors: { protocolName: 'modbus', configData: { register: 'HoldingRegister', offset: 0, limit: 1 } },
          },
          {
            name: 'setpoint',
            desired: { value: String(10 + i) },
            visitors: { protocolName: 'modbus', configData: { register: 'HoldingRegister', offset: 1, limit: 1 } },
          },
        ],
      },
    })),
  ];
  writeFileSync(file, docs.map((d) => stringify(d)).join('---\n'));
}

describe('an edge that lost or damaged its store', () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('gets its whole device set and desired values back: data dir wiped, edge.db of zero length, edge.db damaged', async () => {
    const dir = tempDir('kedge-faults-store-');
    cleanups.push(() => dir.remove());
    const cloud = await startCloud(join(dir.path, 'cloud'));
    cleanups.push(() => cloud.proc.stop());
    const s = await edgeSetup('store-node', join(dir.path, 'edge'), `ws://127.0.0.1:${cloud.ports.hub}`, 'none');
    // Checkpointed every 0.5 s: the pages the test damages are in edge.db itself, not in the WAL.
    const env = { KEDGE_EDGE__DISK__CHECK_INTERVAL_MS: '500', KEDGE_EDGE__DISK__TRUNCATE_INTERVAL_MS: '500' };
    let edge: KedgeProcess = await startEdge(s, env);
    cleanups.push(() => edge.stop());
    const file = join(dir.path, 'valves.yaml');
    writeDevices(file, s.node);
    expect((await runKedge(['apply', '-f', file, '--server', cloud.api])).code).toBe(0);

    const api = `http://127.0.0.1:${s.apiPort}/api/v1`;
    /** Every device on the edge, each twin with its own desired setpoint. */
    const complete = async () => {
      const res = await fetch(`${api}/devices`).catch(() => undefined);
      const items = ((await res?.json()) as { items?: unknown[] } | undefined)?.items ?? [];
      if (items.length !== DEVICES) return false;
      for (const i of [0, DEVICES - 1]) {
        const twin = (await (await fetch(`${api}/twins/default/valve-${i}`)).json()) as {
          properties?: Record<string, { desired?: { value: string } }>;
        };
        if (twin.properties?.setpoint?.desired?.value !== String(10 + i)) return false;
      }
      return true;
    };
    await waitFor(complete, 'the devices on the edge', 60_000, [edge]);

    const figures: Record<string, number> = {};
    const restartAfter = async (what: string, damage: () => void) => {
      await new Promise((r) => setTimeout(r, 1500)); // a checkpoint or two
      edge.child.kill('SIGKILL');
      await edge.stop();
      damage();
      const t0 = Date.now();
      edge = await startEdge(s, env);
      await waitFor(complete, `the devices back after ${what}`, 60_000, [edge]);
      figures[`msToResync_${what}`] = Date.now() - t0;
    };

    await restartAfter('wiped', () => rmSync(s.dataDir, { recursive: true, force: true }));
    await restartAfter('zeroLength', () => {
      truncateSync(join(s.dataDir, 'edge.db'), 0);
      rmSync(join(s.dataDir, 'edge.db-wal'), { force: true });
      rmSync(join(s.dataDir, 'edge.db-shm'), { force: true });
    });
    await restartAfter('damaged', () => {
      const db = join(s.dataDir, 'edge.db');
      rmSync(`${db}-wal`, { force: true }); // as after a clean stop: the damage is in the file itself
      rmSync(`${db}-shm`, { force: true });
      const size = statSync(db).size;
      const fd = openSync(db, 'r+');
      // Garbage over every page but the first (the header stays: SQLite opens it, quick_check fails).
      const garbage = Buffer.alloc(Math.max(0, size - 16_384), 0x5a);
      writeSync(fd, garbage, 0, garbage.length, 16_384);
      closeSync(fd);
    });
    expect(edge.output).toMatch(/"code":"KEDGE_STORE_DAMAGED"/);
    expect(readdirSync(s.dataDir).filter((f) => f.startsWith('edge.db.damaged-'))).toHaveLength(1);
    expect(cloud.proc.output).toMatch(/connected with a new store/);
    reportFigures(`lost or damaged edge store (${DEVICES} devices with desired values)`, figures);
  });
});

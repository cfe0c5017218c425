/**
 * `kedge mapper` as a process: it loads only the drivers its devices need, and it converges again
 * after being killed or after the broker restarts (aedes in-process, and a real mosquitto).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  edgeFilters,
  edgeTopics,
  type RawData,
  type MapperStatus,
  type StateUpdate,
  type WriteResult,
} from '../../src/contracts/index.js';
import { ModbusSim } from '../../mappers/modbus/sim/index.js';
import { Cleanup, deviceSet, modbusDevice, NODE, prop, publishSet } from '../modbus/harness.js';
import { startAedes, startMosquitto, type TestBroker } from '../support/brokers.js';
import { root, spawnKedge, type KedgeProcess } from '../support/kedge-process.js';
import { TestClient } from '../support/mqtt-client.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const ENTRY = join(root, 'hil-tests/support/cli-entry.ts');

async function simWithDevice() {
  const sim = new ModbusSim();
  sim.addPoints([
    { unit: 1, table: 'HoldingRegister', offset: 0, rawType: 'float32', generator: { kind: 'constant', value: 18.5 } },
    { unit: 1, table: 'InputRegister', offset: 0, rawType: 'uint16', generator: { kind: 'constant', value: 1234 } },
  ]);
  const at = await sim.listenTcp();
  cleanup.add(() => sim.stop());
  const device = modbusDevice('boiler', { ip: at.host, port: at.port, slaveID: 1 }, [
    prop(
      'setpoint',
      'FLOAT',
      { register: 'HoldingRegister', offset: 0, rawType: 'float32' },
      { accessMode: 'ReadWrite' },
    ),
    prop('hours', 'INT', { register: 'InputRegister', offset: 0, rawType: 'uint16' }),
  ]);
  return { sim, device };
}

async function spawnMapper(
  url: string,
  protocols: string,
  extra: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<KedgeProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), 'kedge-mapper-proc-'));
  cleanup.add(() => rm(dataDir, { recursive: true, force: true }));
  const proc = spawnKedge(
    [
      'mapper',
      '--protocol',
      protocols,
      '--mqtt-url',
      url,
      '--node',
      NODE,
      '--name',
      'proc',
      '--data-dir',
      dataDir,
      '--log-level',
      'info',
    ],
    { entry: ENTRY, ...extra },
  );
  cleanup.add(() => proc.stop('SIGKILL'));
  await proc.waitForOutput(/mapper running/);
  return proc;
}

async function connectClient(url: string): Promise<TestClient> {
  const client = await TestClient.connect(url, [
    edgeFilters.dataRaw,
    edgeFilters.stateUpdate,
    edgeFilters.writeResult,
    edgeFilters.mapperStatus,
  ]);
  cleanup.add(() => client.close());
  return client;
}

const status = (client: TestClient, state: MapperStatus['state']) =>
  client.waitFor<MapperStatus>(edgeTopics.mapperStatus('proc'), (s) => s.state === state, 20_000);

describe('kedge mapper process', () => {
  it('hosting modbus, serial and gpio never loads node-opcua, modbus-serial (TCP only) or mqtt.js', async () => {
    const broker = await startAedes();
    cleanup.add(() => broker.close());
    const client = await connectClient(broker.url);
    const { device } = await simWithDevice();
    const dir = await mkdtemp(join(tmpdir(), 'kedge-modules-'));
    cleanup.add(() => rm(dir, { recursive: true, force: true }));
    const modulesFile = join(dir, 'modules.json');
    const proc = await spawnMapper(broker.url, 'modbus,serial,gpio', {
      nodeArgs: ['--require', join(root, 'hil-tests/mapper/record-modules.cjs')],
      env: { KEDGE_TEST_MODULES_FILE: modulesFile },
    });
    await publishSet(client, deviceSet(1, [device]));
    const serialDevice = {
      ...modbusDevice('line-printer', { serialPort: '/dev/null-kedge-test', baudRate: 9600 }, [
        prop('text', 'STRING', { pattern: '(.*)' }),
      ]),
      protocol: 'serial',
    };
    const gpioDevice = {
      ...modbusDevice('door', {}, [prop('open', 'BOOLEAN', { pin: 17, direction: 'in' })]),
      protocol: 'gpio',
    };
    await publishSet(client, deviceSet(1, [serialDevice], 'serial'));
    await publishSet(client, deviceSet(1, [gpioDevice], 'gpio'));
    await client.waitFor<RawData>(edgeTopics.dataRaw(device.id), (u) => u.readings.every((r) => r.quality === 'good'));
    // The serial and gpio sets were handled by their own hosts: the devices got a state (offline
    // with a reason when the driver or the port is missing on this machine, online otherwise).
    for (const d of [serialDevice, gpioDevice]) {
      const state = await client.waitFor<StateUpdate>(edgeTopics.stateUpdate(d.id), () => true, 20_000);
      if (state.state === 'offline') expect(state.reason).toBeTruthy();
    }
    expect(await proc.stop()).toBe(0);
    const modules = JSON.parse(await readFile(modulesFile, 'utf8')) as string[];
    expect(modules.some((m) => m.includes('/node_modules/pino/'))).toBe(true); // the recorder works
    // A plain mqtt:// broker goes through kedge's small MQTT client: mqtt.js is for TLS and WebSocket URLs.
    expect(modules.filter((m) => m.includes('/node_modules/mqtt/'))).toEqual([]);
    // A Modbus TCP device goes through kedge's own MBAP client: modbus-serial is for RTU lines.
    expect(modules.filter((m) => m.includes('/node_modules/modbus-serial/'))).toEqual([]);
    expect(modules.filter((m) => m.includes('/node_modules/node-opcua'))).toEqual([]);
  });

  it('converges after being killed: last will says offline, a new process serves the retained set', async () => {
    const broker = await startAedes();
    cleanup.add(() => broker.close());
    const client = await connectClient(broker.url);
    const { device } = await simWithDevice();
    await publishSet(client, deviceSet(3, [device]));
    const first = await spawnMapper(broker.url, 'modbus');
    await status(client, 'online');
    await client.waitFor<RawData>(edgeTopics.dataRaw(device.id), (u) => u.readings[1]?.value === 1234);
    await first.stop('SIGKILL');
    await status(client, 'offline');
    client.clear();
    await spawnMapper(broker.url, 'modbus');
    await status(client, 'online');
    await client.waitFor<RawData>(edgeTopics.dataRaw(device.id), (u) => u.readings[1]?.value === 1234);
  });

  it('converges after the broker restarts (aedes): readings and writes flow again', async () => {
    const broker = await startAedes();
    let current: TestBroker = broker;
    cleanup.add(() => current.close());
    const client = await connectClient(broker.url);
    const { sim, device } = await simWithDevice();
    await publishSet(client, deviceSet(1, [device]));
    await spawnMapper(broker.url, 'modbus');
    await client.waitFor<RawData>(edgeTopics.dataRaw(device.id));
    await broker.close();
    current = await startAedes(broker.port); // same address, empty: retained messages are gone
    // The edge node republishes its device set when it reconnects; the test client plays that part
    // (mqtt.js holds the publish until its reconnect).
    client.clear();
    await publishSet(client, deviceSet(2, [device]));
    await status(client, 'online');
    await client.waitFor<RawData>(edgeTopics.dataRaw(device.id), (u) => u.readings[0]?.value === 18.5, 20_000);
    await client.publish(edgeTopics.twinUpdateDelta(device.id), {
      event_id: 'd1',
      timestamp: Date.now(),
      twin: {},
      delta: { setpoint: '19.25' },
    });
    const result = await client.waitFor<WriteResult>(edgeTopics.writeResult(device.id));
    expect(result).toMatchObject({ ok: true, readBack: { value: 19.25 } });
    expect(sim.memory(1).readRegisters('HoldingRegister', 0, 2)).toEqual([0x419a, 0x0000]);
  });

  it('works through mosquitto: readings, a write, and convergence after a mosquitto restart', async () => {
    let broker = await startMosquitto();
    cleanup.add(() => broker.close());
    const client = await connectClient(broker.url);
    const { device } = await simWithDevice();
    await publishSet(client, deviceSet(1, [device]));
    const proc = await spawnMapper(broker.url, 'modbus');
    await status(client, 'online');
    await client.waitFor<RawData>(edgeTopics.dataRaw(device.id), (u) => u.readings[0]?.value === 18.5);
    await client.publish(edgeTopics.twinUpdateDelta(device.id), {
      event_id: 'd1',
      timestamp: Date.now(),
      twin: {},
      delta: { setpoint: '20' },
    });
    expect(await client.waitFor<WriteResult>(edgeTopics.writeResult(device.id))).toMatchObject({
      ok: true,
      readBack: { value: 20 },
    });

    const port = broker.port;
    await broker.close();
    broker = await startMosquitto(port);
    client.clear();
    await publishSet(client, deviceSet(2, [device]));
    await client.waitFor<RawData>(edgeTopics.dataRaw(device.id), (u) => u.readings[0]?.value === 20, 20_000);
    expect(await proc.stop()).toBe(0);
    await status(client, 'offline');
  });
});

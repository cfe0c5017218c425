/**
 * The KubeEdge contract, replayed against `kedge edge` as a user runs it (a real process, its
 * broker on a loopback port): each case sends the bytes KubeEdge's Go code serializes (built as
 * encoding/json writes its structs: field order, omitempty, `"metadata":{}` for a non-pointer
 * struct) and names the file and line it comes from (KubeEdge v1.23.1 at tag 1a7ee88,
 * kubeedge/mappers-go at 85fb6d1); then every message kedge answered with is decoded with the Go
 * types KubeEdge's own code decodes it with (go-json.ts), and must decode without an error.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { edgeTopics } from '../../src/contracts/index.js';
import { mapperUrl } from '../../src/edge/testing/index.js';
import { freePort } from '../support/brokers.js';
import { spawnKedge, type KedgeProcess } from '../support/kedge-process.js';
import { go, goDecode, type GoType } from './go-json.js';

const entry = join(import.meta.dirname, '../support/cli-entry.ts');
const NODE = 'contract-1';
const ID = 'default/thermo';

const documents = [
  {
    apiVersion: 'devices.kubeedge.io/v1beta1',
    kind: 'DeviceModel',
    metadata: { name: 'thermo-model', namespace: 'default' },
    spec: {
      protocol: 'virtualProtocol',
      properties: [
        { name: 'temperature', type: 'FLOAT', accessMode: 'ReadOnly' },
        { name: 'setpoint', type: 'INT', accessMode: 'ReadWrite' },
      ],
    },
  },
  {
    apiVersion: 'devices.kubeedge.io/v1beta1',
    kind: 'Device',
    metadata: { name: 'thermo', namespace: 'default', annotations: { 'kedge.io/local-desired': 'true' } },
    spec: {
      deviceModelRef: { name: 'thermo-model' },
      nodeName: NODE,
      protocol: { protocolName: 'virtualProtocol' },
      properties: [{ name: 'temperature' }, { name: 'setpoint' }],
    },
  },
];

/** The Go types kedge's answers are decoded with, by topic. */
function goTypeOf(topic: string, payload: Record<string, unknown>): GoType | undefined {
  if (typeof payload['code'] === 'number') return go.Result;
  if (topic.endsWith('/twin/update/result') || topic.endsWith('/twin/get/result')) return go.DeviceTwinResult;
  if (topic.endsWith('/twin/update/delta')) return go.DeviceTwinDelta;
  if (topic.endsWith('/twin/update/document')) return go.DeviceTwinDocument;
  if (topic.endsWith('/state/update/result')) return go.DeviceMsg;
  if (topic.endsWith('/data/update')) return go.DeviceData;
  return undefined;
}

describe('KubeEdge contract: what KubeEdge mappers and apps send, replayed against kedge edge', () => {
  let dir = '';
  let edge: KedgeProcess | undefined;
  let client: mqtt.MqttClient | undefined;
  let api = '';
  const received: Array<{ topic: string; payload: Record<string, unknown> }> = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kedge-contract-'));
    const [mqttPort, apiPort, sbPort] = [await freePort(), await freePort(), await freePort()];
    edge = spawnKedge(
      [
        'edge',
        '--node',
        NODE,
        '--data-dir',
        dir,
        '--mqtt-port',
        String(mqttPort),
        '--api-port',
        String(apiPort),
        '--mappers',
        'none',
      ],
      { entry, env: { KEDGE_EDGE__SERVICEBUS_PORT: String(sbPort) } },
    );
    await edge.waitForOutput(/edge node ready/, 60_000);
    api = `http://127.0.0.1:${apiPort}`;
    const applied = await fetch(`${api}/api/v1/apply`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ documents }),
    });
    expect(applied.status).toBe(200);
    // paho.mqtt.golang as mappers-go connects (mappers/common/event.go:75-84): MQTT 3.1.1, clean
    // session, with the user name and password of its configuration: since #18 the embedded broker
    // lets clients without credentials only subscribe (edge.mqtt.anonymous: read), so a mapper run
    // by hand logs in (here with the mappers' account); one Edged runs in a Pod needs nothing.
    client = await mqtt.connectAsync(mapperUrl(`mqtt://127.0.0.1:${mqttPort}`, dir), {
      protocolVersion: 4,
      clean: true,
    });
    client.on('message', (topic, payload) => received.push({ topic, payload: JSON.parse(payload.toString()) }));
    await client.subscribeAsync(['$hw/events/device/#', edgeTopics.dataUpdate(ID)]);
  }, 90_000);

  afterAll(async () => {
    await client?.endAsync(true);
    await edge?.stop('SIGTERM');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Publishes KubeEdge's bytes and waits for kedge's answer on `answerTopic` that `match` picks. */
  async function send(
    topic: string,
    bytes: string,
    answerTopic: string,
    match: (p: Record<string, unknown>) => boolean = () => true,
  ): Promise<Record<string, unknown>> {
    const from = received.length;
    await client!.publishAsync(topic, bytes, { qos: 0 });
    const end = Date.now() + 15_000;
    while (Date.now() < end) {
      const hit = received.slice(from).find((m) => m.topic === answerTopic && match(m.payload));
      if (hit) return hit.payload;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no answer on ${answerTopic} to ${bytes}; got ${JSON.stringify(received.slice(from))}`);
  }

  const twinView = async () =>
    (await (await fetch(`${api}/api/v1/twins/${ID}`)).json()) as {
      state: string;
      properties: Record<string, { desired?: { value: string }; reported?: { value: string }; optional?: boolean }>;
    };
  const now = () => Date.now();

  it('mappers-go mappers/common/event.go:120 CreateMessageTwinUpdate: actual with metadata {} and the type', async () => {
    const bytes = `{"event_id":"","timestamp":${now()},"twin":{"temperature":{"actual":{"value":"21.5","metadata":{}},"metadata":{"type":"float"}}}}`;
    const result = await send(edgeTopics.twinUpdate(ID), bytes, edgeTopics.twinUpdateResult(ID));
    expect(result['code']).toBeUndefined();
    expect(result).toMatchObject({ event_id: '', twin: { temperature: { actual: { value: '21.5' } } } });
    expect((await twinView()).properties.temperature?.reported?.value).toBe('21.5');
  });

  it('mapper-framework pkg/common/event.go:38 CreateMessageTwinUpdate: expected is the observed desired value, never a new one', async () => {
    const bytes = `{"event_id":"","timestamp":${now()},"twin":{"temperature":{"expected":{"value":"","metadata":{}},"actual":{"value":"22","metadata":{}},"metadata":{"type":"float"}}}}`;
    const result = await send(edgeTopics.twinUpdate(ID), bytes, edgeTopics.twinUpdateResult(ID));
    expect(result['code']).toBeUndefined();
    const view = await twinView();
    expect(view.properties.temperature?.reported?.value).toBe('22');
    expect(view.properties.temperature?.desired).toBeUndefined();
  });

  it('dmiserver/server.go:203 CreateMessageTwinUpdate (the DMI bridge): expected and actual, no type metadata', async () => {
    const bytes = `{"event_id":"","timestamp":${now()},"twin":{"setpoint":{"expected":{"value":"20"},"actual":{"value":"20"}}}}`;
    const result = await send(edgeTopics.twinUpdate(ID), bytes, edgeTopics.twinUpdateResult(ID));
    expect(result['code']).toBeUndefined();
    expect((await twinView()).properties.setpoint?.reported?.value).toBe('20');
  });

  it('mappers-go event.go:149 CreateMessageState "OK" (mappers/common/const.go), mapper-framework "ok", device_test.go:221 {"state":"online"}', async () => {
    const result = (bytes: string) =>
      send(edgeTopics.stateUpdate(ID), bytes, edgeTopics.stateUpdateResult(ID)) as Promise<{
        device?: { name: string; state: string; lastOnlineTime?: string };
      }>;
    // dtmanager/device.go:101-110: lower-cased, ok accepted; lastOnline is time.RFC3339 in UTC.
    const ok = await result(`{"event_id":"","timestamp":${now()},"state":"OK","attributes":null}`);
    expect(ok.device).toMatchObject({ name: 'thermo', state: 'online' });
    expect(ok.device?.lastOnlineTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const offline = await result(`{"event_id":"","timestamp":${now()},"state":"offline","attributes":null}`);
    expect(offline.device).toEqual({ name: 'thermo', state: 'offline' });
    expect((await result(`{"event_id":"","timestamp":${now()},"state":"ok","attributes":null}`)).device?.state).toBe(
      'online',
    );
    // KubeEdge's integration test sends neither event_id nor timestamp.
    expect((await result('{"state":"online","attributes":null}')).device?.state).toBe('online');
    expect((await twinView()).state).toBe('online');
  });

  it('mappers-go event.go:134 CreateMessageData on data/update: read into the twin, not sent back', async () => {
    const t = now();
    const bytes = `{"event_id":"","timestamp":${t},"data":{"temperature":{"value":"23.25","metadata":{"timestamp":${t},"type":"float"}}}}`;
    const from = received.length;
    await client!.publishAsync(edgeTopics.dataUpdate(ID), bytes);
    const end = Date.now() + 15_000;
    while ((await twinView()).properties.temperature?.reported?.value !== '23.25' && Date.now() < end)
      await new Promise((r) => setTimeout(r, 50));
    expect((await twinView()).properties.temperature?.reported?.value).toBe('23.25');
    // Our own message comes back to us (MQTT 3.1.1 has no no-local); the edge adds none of its own.
    await new Promise((r) => setTimeout(r, 300));
    expect(received.slice(from).filter((m) => m.topic === edgeTopics.dataUpdate(ID))).toHaveLength(1);
  });

  it('twin.go:270 BuildDeviceTwinDelta: a desired value reaches a mappers-go mapper as a delta (modbus/device/device.go:89), again after each report until it is read back', async () => {
    const from = received.length;
    const put = await fetch(`${api}/api/v1/twins/${ID}/desired`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ properties: { setpoint: '25' } }),
    });
    expect(put.status).toBe(200);
    const deltas = () => received.slice(from).filter((m) => m.topic === edgeTopics.twinUpdateDelta(ID));
    const end = Date.now() + 15_000;
    while (deltas().length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(deltas()[0]?.payload['delta']).toEqual({ setpoint: '25' });
    // The mapper reports something else: the delta comes again (DealDeviceTwin builds it after every update).
    const report = (prop: string, value: string) =>
      `{"event_id":"","timestamp":${now()},"twin":{"${prop}":{"actual":{"value":"${value}","metadata":{}},"metadata":{"type":"int"}}}}`;
    const again = await send(edgeTopics.twinUpdate(ID), report('temperature', '24'), edgeTopics.twinUpdateDelta(ID));
    expect(again['delta']).toEqual({ setpoint: '25' });
    // Read back: confirmed, and the next report brings no delta.
    await send(edgeTopics.twinUpdate(ID), report('setpoint', '25'), edgeTopics.twinUpdateResult(ID));
    expect((await twinView()).properties.setpoint).toMatchObject({
      desired: { value: '25' },
      reported: { value: '25' },
    });
    const count = deltas().length;
    await send(edgeTopics.twinUpdate(ID), report('temperature', '24'), edgeTopics.twinUpdateResult(ID));
    await new Promise((r) => setTimeout(r, 300));
    expect(deltas()).toHaveLength(count);
  });

  it('twin.go:816 dealTwinAdd and twin.go:425 dealTwinDelete: an optional twin for a property the model lacks, deleted with null', async () => {
    const add = `{"event_id":"opt-1","timestamp":${now()},"twin":{"firmware":{"actual":{"value":"1.4.2","metadata":{}},"metadata":{"type":"string"}}}}`;
    const added = await send(
      edgeTopics.twinUpdate(ID),
      add,
      edgeTopics.twinUpdateResult(ID),
      (p) => p['event_id'] === 'opt-1',
    );
    expect(added).toMatchObject({ twin: { firmware: { actual: { value: '1.4.2' }, optional: true } } });
    expect((await twinView()).properties.firmware).toMatchObject({ optional: true, reported: { value: '1.4.2' } });
    const del = `{"event_id":"opt-2","timestamp":${now()},"twin":{"firmware":null}}`;
    const deleted = await send(
      edgeTopics.twinUpdate(ID),
      del,
      edgeTopics.twinUpdateResult(ID),
      (p) => p['event_id'] === 'opt-2',
    );
    expect(deleted['twin']).toEqual({ firmware: null });
    expect((await twinView()).properties.firmware).toBeUndefined();
  });

  it('twin.go:349 DealGetTwin: twin/get answers on twin/get/result with the request event_id', async () => {
    const got = await send(
      edgeTopics.twinGet(ID),
      `{"event_id":"get-1","timestamp":${now()}}`,
      edgeTopics.twinGetResult(ID),
    );
    expect(got).toMatchObject({ event_id: 'get-1', twin: { temperature: { actual: { value: expect.any(String) } } } });
  });

  it('twin.go:203 DealDeviceTwin: a device not on the node gets a 404 result', async () => {
    const other = 'default/nobody';
    const bytes = `{"event_id":"nf-1","timestamp":${now()},"twin":{"x":{"actual":{"value":"1"}}}}`;
    expect(await send(edgeTopics.twinUpdate(other), bytes, edgeTopics.twinUpdateResult(other))).toMatchObject({
      event_id: 'nf-1',
      code: 404,
    });
  });

  it('the Go decoder stand-in refuses what encoding/json refuses (and nothing else)', () => {
    expect(
      goDecode(go.DeviceTwinResult, { event_id: '', timestamp: 1, twin: { t: { actual: { value: '1' } } } }),
    ).toEqual([]);
    expect(goDecode(go.DeviceTwinResult, { event_id: '', timestamp: '1', unknown: 1 })).toEqual([
      'json: cannot unmarshal string into Go value timestamp of type int64',
    ]);
    expect(goDecode(go.DeviceTwinDelta, { timestamp: 1.5, twin: { t: { actual: { value: 21.5 } } } })).toHaveLength(2);
    expect(goDecode(go.DeviceData, { data: { t: { value: '1', metadata: { timestamp: 1, type: 7 } } } })).toHaveLength(
      1,
    );
  });

  it("every answer kedge sent decodes with KubeEdge's Go types (dttype, mappers-go event_type.go, mapper-framework eventtype.go)", () => {
    const answers = received.filter((m) => goTypeOf(m.topic, m.payload));
    const kinds = new Set(answers.map((m) => m.topic.split('/').slice(5).join('/')));
    // Every kind of answer was seen at least once, so each was checked.
    expect([...kinds].sort()).toEqual(
      [
        'data/update',
        'state/update/result',
        'twin/get/result',
        'twin/update/delta',
        'twin/update/document',
        'twin/update/result',
      ].sort(),
    );
    const problems = answers.flatMap((m) =>
      goDecode(goTypeOf(m.topic, m.payload)!, m.payload).map((e) => `${m.topic}: ${e}`),
    );
    expect(problems).toEqual([]);
  });
});

import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawEdge, type TestReading, waitUntil } from '../testing/raw-edge.js';
import { startTestCloud } from '../testing/cloud-under-test.js';
import type {
  ApiErrorBody,
  ApplyResult,
  NodeView,
  TelemetryPayload,
  TwinPayload,
  TwinView,
  ValidationResult,
} from '../../contracts/index.js';
import type { Device, DeviceModel } from '../../model/index.js';
import { thermostat, thermostatModel } from '../testing/fixtures.js';

/** Device status as KubeEdge writes it (the cloud keeps its extras in metadata strings). */
type DeviceStatus = { twins?: Array<{ propertyName: string }> };

describe('cloud HTTP API (real HTTP, whole cloud on loopback)', () => {
  let t: Awaited<ReturnType<typeof startTestCloud>>;
  let edge: RawEdge | undefined;
  /** One request; `T` is what the test expects the answer to be (the API's view types, docs/api.md). */
  const call = async <T = ApiErrorBody>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: T; text: string }> => {
    const res = await fetch(`${t.api}${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await res.text();
    let json = {} as T;
    try {
      json = JSON.parse(text) as T;
    } catch {
      /* text answers (healthz, metrics) */
    }
    return { status: res.status, json, text };
  };

  beforeAll(async () => {
    t = await startTestCloud();
  });
  afterAll(async () => {
    edge?.close();
    await t.stop();
  });

  it('answers /healthz and /metrics', async () => {
    expect((await call('GET', '/healthz')).text).toBe('ok');
    const metrics = await call('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('kedge_cloudhub_connections');
  });

  it('applies documents: created, then unchanged, then updated; warnings returned', async () => {
    const docs = [thermostatModel(), thermostat('t1', 'edge-1')];
    const first = await call<ApplyResult>('POST', '/api/v1/apply', { documents: docs });
    expect(first.status).toBe(200);
    expect(first.json.applied.map((a) => `${a.kind} ${a.namespace}/${a.name} ${a.action}`)).toEqual([
      'DeviceModel default/thermostat created',
      'Device default/t1 created',
    ]);
    const again = await call<ApplyResult>('POST', '/api/v1/apply', { documents: docs });
    expect(again.json.applied.map((a) => a.action)).toEqual(['unchanged', 'unchanged']);
    const changed = thermostat('t1', 'edge-1') as Device;
    changed.spec.protocol!.configData = { ...changed.spec.protocol!.configData, port: 5021 };
    const upd = await call<ApplyResult>('POST', '/api/v1/apply', { documents: [changed] });
    expect(upd.json.applied).toEqual([expect.objectContaining({ name: 't1', action: 'updated' })]);
    expect(Number(upd.json.applied[0]!.resourceVersion)).toBeGreaterThan(
      Number(first.json.applied[1]!.resourceVersion),
    );
  });

  it('validates and applies YAML text, errors at their file:line:col, stored models counting for references', async () => {
    await call('POST', '/api/v1/apply', { documents: [thermostatModel()] });
    const device = (name: string, model: string) =>
      [
        'apiVersion: devices.kubeedge.io/v1beta1',
        'kind: Device',
        'metadata:',
        `  name: ${name}`,
        'spec:',
        `  deviceModelRef: { name: ${model} }`,
        '  nodeName: edge-1',
        '  protocol:',
        '    protocolName: modbus',
        '    configData: { communicateMode: TCP, ip: 127.0.0.1, port: 502, slaveID: 1 }',
      ].join('\n');
    const bad = await call<ValidationResult>('POST', '/api/v1/validate', {
      sources: [{ file: 'editor.yaml', content: device('y1', 'nope') }],
    });
    expect(bad.status).toBe(200);
    expect(bad.json.valid).toBe(false);
    expect(bad.json.problems).toEqual([
      expect.objectContaining({
        file: 'editor.yaml',
        line: 6,
        severity: 'error',
        message: expect.stringContaining('nope'),
      }),
    ]);
    expect(bad.json.problems[0]!.text).toMatch(/^editor\.yaml:6:\d+: error: /);
    const refused = await call('POST', '/api/v1/apply', {
      sources: [{ file: 'editor.yaml', content: device('y1', 'nope') }],
    });
    expect(refused.status).toBe(400);
    expect((refused.json.error.detail!.problems as ValidationResult['problems'])[0]).toMatchObject({
      file: 'editor.yaml',
      line: 6,
    });
    const ok = await call<ValidationResult>('POST', '/api/v1/validate', {
      sources: [{ file: 'e.yaml', content: device('y1', 'thermostat') }],
    });
    expect(ok.json).toMatchObject({ valid: true, devices: 1, models: 0 });
    const applied = await call<ApplyResult>('POST', '/api/v1/apply', {
      sources: [{ file: 'e.yaml', content: device('y1', 'thermostat') }],
    });
    expect(applied.status).toBe(200);
    expect(applied.json.applied).toEqual([expect.objectContaining({ kind: 'Device', name: 'y1', action: 'created' })]);
    await call('DELETE', '/api/v1/devices/default/y1');
  });

  it('validates and applies a Pod in YAML text', async () => {
    const pod =
      'apiVersion: v1\nkind: Pod\nmetadata: { name: app }\nspec:\n  nodeName: edge-1\n  containers: [{ name: c, image: x }]\n';
    const checked = await call<ValidationResult>('POST', '/api/v1/validate', {
      sources: [{ file: 'p.yaml', content: pod }],
    });
    expect(checked.json).toMatchObject({ valid: true, pods: 1, devices: 0, models: 0 });
    const applied = await call<ApplyResult>('POST', '/api/v1/apply', { sources: [{ file: 'p.yaml', content: pod }] });
    expect(applied.json.applied).toEqual([expect.objectContaining({ kind: 'Pod', name: 'app', action: 'created' })]);
    await call('DELETE', '/api/v1/pods/default/app');
  });

  it('rejects the whole request on any validation error, naming the document and field', async () => {
    const bad = thermostat('t2', 'edge-1') as Device;
    bad.spec.deviceModelRef.name = 'no-such-model';
    const res = await call('POST', '/api/v1/apply', { documents: [thermostat('t3', 'edge-1'), bad] });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('KEDGE_API_INVALID');
    expect(res.json.error.message).toContain('documents[1]');
    expect(res.json.error.message).toContain('no-such-model');
    expect((await call('GET', '/api/v1/devices/default/t3')).status).toBe(404);
    expect((await call('POST', '/api/v1/apply', { nope: 1 })).json.error.code).toBe('KEDGE_API_BAD_REQUEST');
    const notJson = await fetch(`${t.api}/api/v1/apply`, { method: 'POST', body: '{' });
    expect(notJson.status).toBe(400);
    // the edge API reads bodies with the same helper and answers malformed JSON alike
    expect(((await notJson.json()) as ApiErrorBody).error.code).toBe('KEDGE_API_BAD_JSON');
  });

  it('lists and gets devices and models; unknown paths and objects are 404 with the error shape', async () => {
    const devices = await call<{ items: Device[] }>('GET', '/api/v1/devices');
    expect(devices.json.items.map((d) => d.metadata.name)).toEqual(['t1']);
    expect((await call<Device>('GET', '/api/v1/devices/default/t1')).json.spec.nodeName).toBe('edge-1');
    const models = await call<{ items: DeviceModel[] }>('GET', '/api/v1/devicemodels');
    expect(models.json.items.map((m) => m.metadata.name)).toEqual(['thermostat']);
    const missing = await call('GET', '/api/v1/devices/default/ghost');
    expect(missing.status).toBe(404);
    expect(missing.json.error).toMatchObject({
      code: 'KEDGE_API_NOT_FOUND',
      message: expect.stringContaining('default/ghost'),
      hint: expect.any(String),
    });
    expect((await call('GET', '/api/v1/nothing')).status).toBe(404);
  });

  it('shows nodes from the link, sets desired values, sends them to the edge and waits for the read-back', async () => {
    edge = await RawEdge.connect(t.cloud.ports.hub, 'edge-1');
    await waitUntil(
      () => edge!.received.some((m) => m.route.resource === 'node/edge-1/default/device/t1'),
      'device sent to the edge',
    );
    await waitUntil(
      () => edge!.received.some((m) => m.route.resource === 'node/edge-1/default/mapperset/edge-1'),
      'mapper set sent',
    );
    const nodes = await call<{ items: NodeView[] }>('GET', '/api/v1/nodes');
    expect(nodes.json.items).toEqual([
      expect.objectContaining({
        name: 'edge-1',
        ready: true,
        mappers: [expect.objectContaining({ name: 'mapper-modbus', protocols: ['modbus'] })],
      }),
    ]);

    const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${t.cloud.ports.mqtt}`, { protocolVersion: 4 });
    const twins: TwinPayload[] = [];
    sub.on('message', (topic, payload) => {
      if (topic === 'kedge/twin/default/t1') twins.push(JSON.parse(payload.toString()) as TwinPayload);
    });
    await sub.subscribeAsync('kedge/twin/default/t1', { qos: 1 });
    try {
      const put = call<TwinView>('PUT', '/api/v1/twins/default/t1/desired?wait=5000', {
        properties: { setpoint: '22' },
      });
      await waitUntil(
        () => edge!.received.some((m) => m.route.resource === 'node/edge-1/default/devicetwin/t1'),
        'desired sent down',
      );
      const down = edge!.received.find((m) => m.route.resource === 'node/edge-1/default/devicetwin/t1')!;
      expect(down.content).toEqual({ desired: { setpoint: '22' } });
      const report = edge!.upload('edge-1', 'default/devicetwin/t1', {
        properties: {
          setpoint: {
            desired: { value: '22', ts: 100, version: 1 },
            reported: { value: '22', quality: 'good', ts: 101, version: 2 },
          },
        },
      });
      const res = await put;
      expect(res.status).toBe(200);
      expect(res.json.properties.setpoint).toEqual({
        desired: { value: '22', ts: 100, version: 1 },
        reported: { value: '22', quality: 'good', ts: 101, version: 2 },
        pending: false,
      });
      await waitUntil(() => edge!.acksFor(report.header.msg_id).length === 1, 'ack of the report');
      await waitUntil(() => twins.length > 0, 'twin on MQTT');
      expect(twins.at(-1)).toMatchObject({
        id: 'default/t1',
        node: 'edge-1',
        properties: { setpoint: { reported: { value: '22' } } },
      });
      const view = await call<TwinView>('GET', '/api/v1/twins/default/t1');
      expect(view.json.properties.setpoint?.reported?.value).toBe('22');
      const bad = await call('PUT', '/api/v1/twins/default/t1/desired', { properties: { temperature: '1' } });
      expect(bad.status).toBe(400);
      expect(bad.json.error.code).toBe('KEDGE_DEVICECONTROLLER_BAD_DESIRED');
      expect((await call('PUT', '/api/v1/twins/default/t1/desired', { properties: { setpoint: 5 } })).status).toBe(400);
      expect((await call('PUT', '/api/v1/twins/default/zz/desired', { properties: { setpoint: '5' } })).status).toBe(
        404,
      );
    } finally {
      await sub.endAsync();
    }
  });

  it('writes the twin into Device status (KubeEdge shape) shortly after, coalesced', async () => {
    let status: DeviceStatus | undefined;
    for (let i = 0; i < 100 && !status?.twins?.length; i++) {
      status = (await call<Device>('GET', '/api/v1/devices/default/t1')).json.status as DeviceStatus | undefined;
      if (!status?.twins?.length) await new Promise((r) => setTimeout(r, 20));
    }
    expect(status!.twins).toEqual([
      {
        propertyName: 'setpoint',
        reported: { value: '22', metadata: { timestamp: '101', quality: 'good', version: '2' } },
        observedDesired: { value: '22', metadata: { timestamp: '100', version: '1' } },
      },
    ]);
  });

  it('refuses to delete a model in use (409), deletes devices and then the model', async () => {
    const inUse = await call('DELETE', '/api/v1/devicemodels/default/thermostat');
    expect(inUse.status).toBe(409);
    expect(inUse.json.error.message).toContain('default/t1');
    expect((await call<{ deleted: boolean }>('DELETE', '/api/v1/devices/default/t1')).json).toEqual({ deleted: true });
    await waitUntil(
      () =>
        edge!.received.some(
          (m) => m.route.operation === 'delete' && m.route.resource === 'node/edge-1/default/device/t1',
        ),
      'delete sent to the edge',
    );
    expect((await call<{ deleted: boolean }>('DELETE', '/api/v1/devicemodels/default/thermostat')).json).toEqual({
      deleted: true,
    });
    expect((await call('DELETE', '/api/v1/devices/default/t1')).status).toBe(404);
  });

  it('refuses a body above the limit with 413', async () => {
    const res = await fetch(`${t.api}/api/v1/apply`, { method: 'POST', body: 'x'.repeat(9 * 1024 * 1024) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as ApiErrorBody).error.code).toBe('KEDGE_API_BODY_TOO_LARGE');
  });

  it('acknowledges edge messages only once they reached the consumers broker', async () => {
    await call('POST', '/api/v1/apply', { documents: [thermostatModel(), thermostat('t9', 'edge-1')] });
    const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${t.cloud.ports.mqtt}`, { protocolVersion: 4 });
    const got: TelemetryPayload[] = [];
    sub.on('message', (_topic, payload) => got.push(JSON.parse(payload.toString()) as TelemetryPayload));
    await sub.subscribeAsync('kedge/telemetry/+/+', { qos: 1 });
    try {
      const readings: TestReading[] = [{ property: 'temperature', value: 21.5, unit: 'degC', quality: 'good', ts: 1 }];
      edge!.telemetry('edge-1', 'default/t9', readings, 'tele-1');
      await waitUntil(() => edge!.acksFor('tele-1').length === 1 && got.length === 1, 'ack and delivery');
      expect(got[0]).toEqual({ namespace: 'default', device: 't9', node: 'edge-1', readings });
      edge!.telemetry('edge-1', 'default/t9', readings, 'tele-1');
      await waitUntil(() => edge!.acksFor('tele-1').length === 2, 'second ack');
      await new Promise((r) => setTimeout(r, 50));
      expect(got).toHaveLength(1);
    } finally {
      await sub.endAsync();
    }
  });
});

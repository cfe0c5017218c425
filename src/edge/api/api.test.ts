import { afterEach, describe, expect, it } from 'vitest';
import { device, model, startNode, type NodeHarness } from '../testing/index.js';
import type { ApiErrorBody, ApplyResult, TwinView } from '../../contracts/index.js';
import type { Device, DeviceModel } from '../../model/index.js';

const props = [
  { name: 'temp', type: 'FLOAT', accessMode: 'ReadOnly' },
  { name: 'sp', type: 'INT', accessMode: 'ReadWrite' },
];

describe('edge HTTP API', () => {
  let h: NodeHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  /** One request; `T` is what the test expects the answer to be (the API's view types, docs/api.md). */
  const call = async <T = ApiErrorBody>(method: string, path: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${h!.node.api.port}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : {
            body: typeof body === 'string' ? body : JSON.stringify(body),
            headers: { 'content-type': 'application/json' },
          }),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, json: json as T };
  };

  it('applies, lists, shows twins, sets desired values and deletes per docs/api.md', async () => {
    h = await startNode();
    const applied = await call<ApplyResult>('POST', '/api/v1/apply', {
      documents: [model(props), device('d1', [{ name: 'temp' }, { name: 'sp' }])],
    });
    expect(applied.status).toBe(200);
    expect(applied.json.applied.map((a) => a.action)).toEqual(['created', 'created']);
    expect((await call<{ items: Device[] }>('GET', '/api/v1/devices')).json.items[0]?.metadata.name).toBe('d1');
    expect((await call<{ items: DeviceModel[] }>('GET', '/api/v1/devicemodels')).json.items[0]?.metadata.name).toBe(
      'm',
    );
    const put = await call<TwinView>('PUT', '/api/v1/twins/default/d1/desired', { properties: { sp: '7' } });
    expect(put.json).toMatchObject({
      id: 'default/d1',
      properties: { sp: { desired: { value: '7' }, pending: true } },
    });
    expect((await call<TwinView>('GET', '/api/v1/twins/default/d1')).json.properties.sp?.desired?.value).toBe('7');
    const dev = await call<Device>('GET', '/api/v1/devices/default/d1');
    const twins = (dev.json.status?.twins ?? []) as Array<{
      propertyName: string;
      observedDesired?: { value: string };
    }>;
    expect(twins.find((t) => t.propertyName === 'sp')?.observedDesired?.value).toBe('7');
    expect((await call('DELETE', '/api/v1/devicemodels/default/m')).status).toBe(409);
    expect((await call<{ deleted: boolean }>('DELETE', '/api/v1/devices/default/d1')).json).toEqual({ deleted: true });
    expect((await call('GET', '/api/v1/devices/default/d1')).status).toBe(404);
  });

  it('answers errors as JSON with a code: invalid documents 400, bad JSON 400, unknown twin 404, unknown path 404, too large 413', async () => {
    h = await startNode();
    const invalid = await call('POST', '/api/v1/apply', { documents: [{ kind: 'Device' }] });
    expect(invalid.status).toBe(400);
    expect(invalid.json.error.code).toBe('KEDGE_META_INVALID');
    expect(invalid.json.error.hint).toBeTruthy();
    expect((await call('POST', '/api/v1/apply', '{nope')).json.error.code).toBe('KEDGE_API_BAD_JSON');
    expect((await call('GET', '/api/v1/twins/default/none')).status).toBe(404);
    expect((await call('PUT', '/api/v1/twins/default/none/desired', { properties: { a: '1' } })).status).toBe(404);
    expect((await call('GET', '/api/v1/nodes')).status).toBe(404);
    const big = await call('POST', '/api/v1/apply', { documents: ['x'.repeat(5 << 20)] });
    expect(big.status).toBe(413);
  });

  it('serves /healthz and Prometheus /metrics', async () => {
    h = await startNode();
    expect((await call<string>('GET', '/healthz')).json).toBe('ok');
    const metrics = await call<string>('GET', '/metrics');
    expect(String(metrics.json)).toContain('kedge_pipeline_readings_total');
  });
});

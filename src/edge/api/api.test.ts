import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../../core/paths/index.js';
import { device, model, startNode, type NodeHarness } from '../testing/index.js';
import type {
  ApiErrorBody,
  ApplyResult,
  EdgeNodeStatus,
  NodeView,
  TwinView,
  ValidationResult,
} from '../../contracts/index.js';
import type { Device, DeviceModel } from '../../model/index.js';
import type { StoreHealth } from '../store/index.js';

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
    expect((await call('GET', '/api/v1/nodes/other-node/status')).status).toBe(404);
    const big = await call('POST', '/api/v1/apply', { documents: ['x'.repeat(5 << 20)] });
    expect(big.status).toBe(413);
  });

  it('takes its body limit from the configuration (edge.apiMaxBodyBytes)', async () => {
    h = await startNode({ apiMaxBodyBytes: 2048 });
    const big = await call('POST', '/api/v1/apply', { documents: ['x'.repeat(4096)] });
    expect(big.status).toBe(413);
    expect(big.json.error.code).toBe('KEDGE_API_BODY_TOO_LARGE');
    expect(big.json.error.message).toContain('2048');
  });

  it('refuses Pods in YAML text: they are applied to the cloud, which sends them to their node', async () => {
    h = await startNode();
    const pod =
      'apiVersion: v1\nkind: Pod\nmetadata: { name: app }\nspec:\n  nodeName: n1\n  containers: [{ name: c, image: x }]\n';
    expect(
      (
        await call<ValidationResult>('POST', '/api/v1/validate', {
          sources: [{ file: 'p.yaml', content: pod }],
        })
      ).json,
    ).toMatchObject({
      valid: true,
      pods: 1,
    });
    const res = await call('POST', '/api/v1/apply', { sources: [{ file: 'p.yaml', content: pod }] });
    expect(res.status).toBe(400);
    expect(res.json.error.message).toMatch(/Pod default\/app: Pods are applied to the cloud/);
  });

  it('serves /healthz and Prometheus /metrics', async () => {
    h = await startNode();
    const health = await call<{ status: string; store: StoreHealth }>('GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.json.status).toBe('ok');
    expect(health.json.store.ok).toBe(true);
    expect(health.json.store.disk?.state).toBe('ok');
    expect(health.json.store.disk?.limitBytes).toBe(402_653_184);
    const metrics = await call<string>('GET', '/metrics');
    expect(String(metrics.json)).toContain('kedge_pipeline_readings_total');
  });

  it('answers the node paths for itself: the node list, its status (outbox, link), its /metrics, OPC UA browse errors', async () => {
    // The OPC UA browser is a `kedge opcua-browse --serve` child: from the sources here.
    const kedge = [process.execPath, '--import', 'tsx', join(packageRoot(), 'src/cli/main.ts')];
    h = await startNode({}, undefined, undefined, { mapperCommand: kedge });
    const nodes = await call<{ items: NodeView[] }>('GET', '/api/v1/nodes');
    expect(nodes.status).toBe(200);
    expect(nodes.json.items).toEqual([expect.objectContaining({ name: 'n1', ready: true, mappers: [] })]);
    const status = await call<EdgeNodeStatus>('GET', '/api/v1/nodes/n1/status');
    expect(status.json).toMatchObject({
      node: 'n1',
      outbox: { messages: 0, bytes: 0, oldestAgeMs: null },
      mappers: [],
      devices: 0,
    });
    expect(status.json.link).toBeUndefined(); // no --cloud
    const metrics = await fetch(`http://127.0.0.1:${h.node.api.port}/api/v1/nodes/n1/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await metrics.text()).toContain('# TYPE kedge_outbox_messages gauge');
    const browse = await call('POST', '/api/v1/nodes/n1/opcua/browse', { url: 'http://not-opcua' });
    expect(browse.status).toBe(400);
    expect(browse.json.error.code).toBe('KEDGE_OPCUA_INVALID_CONFIG');
  });

  it('serves the dashboard for a standalone gateway: the page, its files, and the live stream with this node’s devices', async () => {
    h = await startNode();
    await call('POST', '/api/v1/apply', {
      documents: [model(props), device('d1', [{ name: 'temp' }, { name: 'sp' }])],
    });
    const base = `http://127.0.0.1:${h.node.api.port}`;
    const page = await fetch(`${base}/`);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('<script type="module" src="/ui/app.js">');
    const js = await fetch(`${base}/ui/app.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    const etag = js.headers.get('etag')!;
    expect((await fetch(`${base}/ui/app.js`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await fetch(`${base}/ui/vendor/uPlot.iife.min.js`)).status).toBe(200);
    expect((await fetch(`${base}/ui/../package.json`)).status).toBe(404);
    expect((await fetch(`${base}/ui/nothing.js`)).status).toBe(404);
    // The stream starts with a snapshot holding the twin the edge has.
    h.node.bus.publish('device.readings', {
      deviceId: 'default/d1',
      source: 'mapper',
      readings: [{ property: 'temp', value: 21.5, quality: 'good', ts: 1_700_000_000_000 }],
    });
    await h.settle();
    const events = new AbortController();
    const res = await fetch(`${base}/api/v1/events`, { signal: events.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('event: snapshot')) text += (await reader.read()).value ?? '';
    while (!/event: snapshot\ndata: .*\n\n/.test(text)) text += (await reader.read()).value ?? '';
    const snapshot = JSON.parse(/event: snapshot\ndata: (.*)\n\n/.exec(text)![1]!);
    expect(snapshot.devices['default/d1'].twin.temp.reported).toMatchObject({ value: '21.5', quality: 'good' });
    events.abort();
  });
});

/**
 * The dashboard in a real browser (Debian's chromium, playwright-core) against real processes:
 * `kedge cloud` with an API token, `kedge edge` running its mapper process, the OPC UA simulator
 * serving the library's Unified Automation demo server model. Screenshots go to
 * test-artifacts/dashboard/ (the README's is one of them).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startOpcuaSim, type OpcuaSim } from '../../mappers/opcua/sim/index.js';
import { packageRoot } from '../../src/core/paths/index.js';
import { edgeSetup, startCloud, startEdge, tempDir, waitFor, type KedgeProcess } from '../e2e/harness/processes.js';
import { launch, openPage, SHOTS, shot } from './browser.js';

const NODE = 'line-3';
const TOKEN = 'dashboard-test-token-0123456789';
const MODEL_FILE = join(packageRoot(), 'device-models', 'unified-automation-uacppserver.yaml');
// biome-ignore lint/suspicious/noExplicitAny: a test reads JSON as sent and asserts on it field by field
type Json = Record<string, any>;

describe('the dashboard in a browser', () => {
  const dir = tempDir('kedge-dashboard-');
  let sim: OpcuaSim;
  let cloud: Awaited<ReturnType<typeof startCloud>>;
  let edge: KedgeProcess;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  const api = async (method: string, path: string, body?: unknown): Promise<Json> => {
    const res = await fetch(`${cloud.api}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return (await res.json()) as Json;
  };
  const online = async (device: string) => (await api('GET', `/api/v1/twins/default/${device}`)).state === 'online';

  beforeAll(async () => {
    sim = await startOpcuaSim({ files: [MODEL_FILE], updateIntervalMs: 500 });
    writeFileSync(join(dir.path, 'api-token'), `${TOKEN}\n`);
    cloud = await startCloud(join(dir.path, 'cloud'), { KEDGE_CLOUD__API_TOKEN_FILE: join(dir.path, 'api-token') });
    edge = await startEdge(
      await edgeSetup(NODE, join(dir.path, 'edge'), `ws://127.0.0.1:${cloud.ports.hub}`, 'process'),
    );
    const yaml = readFileSync(MODEL_FILE, 'utf8')
      .replace(/url: opc\.tcp:\/\/\S+/, `url: ${sim.endpointUrl}`)
      .replace(/nodeName: \S+/, `nodeName: ${NODE}`);
    const applied = await api('POST', '/api/v1/apply', { sources: [{ file: 'ua.yaml', content: yaml }] });
    expect(applied.applied?.map((a: Json) => a.action)).toEqual(['created', 'created']);
    await waitFor(() => online('ua-demo-server'), 'ua-demo-server online', 90_000, [cloud.proc, edge]);
    browser = await launch();
    page = await openPage(browser, errors);
  }, 240_000);

  // A failing step leaves a picture of the page behind.
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && page)
      await shot(page, `failed-${ctx.task.name.slice(0, 40).replace(/\W+/g, '-')}`);
  });

  afterAll(async () => {
    await browser?.close();
    await edge?.stop();
    await cloud?.proc.stop();
    await sim?.stop();
    dir.remove();
  });

  it('asks for the API token, then shows the node with its link, outbox and mapper', async () => {
    await page.goto(`${cloud.api}/`);
    await page.getByTestId('login').waitFor();
    await page.locator('#token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('The token was not accepted.').waitFor();
    await page.locator('#token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId(`node-${NODE}`).getByText('ready').waitFor({ timeout: 30_000 });
    await page.getByTestId('live').getByText('live').waitFor({ timeout: 30_000 });
    await page.getByTestId(`outbox-${NODE}`).waitFor({ timeout: 30_000 });
    expect(await page.getByTestId(`outbox-${NODE}`).textContent()).toMatch(/^\d+ messages, /);
    await page.getByTestId('mapper-mapper-opcua').getByText('Running').waitFor({ timeout: 30_000 });
    await shot(page, 'overview');
  });

  it('shows live values with unit, quality, age and a sparkline, updating without a reload', async () => {
    await page.goto(`${cloud.api}/#devices`);
    await page.getByTestId('device-default/ua-demo-server').click();
    const temp = page.getByTestId('prop-temperature');
    await temp.getByTestId('value').waitFor({ timeout: 30_000 });
    expect(await temp.locator('.unit').textContent()).toBe(' degC');
    expect(await temp.locator('.quality .badge').textContent()).toBe('good');
    const first = await temp.getByTestId('value').textContent();
    // The simulator changes it every 500 ms: a new value arrives over the stream, and with a second
    // point the sparkline is drawn.
    await waitFor(
      async () => (await temp.getByTestId('value').textContent()) !== first,
      'a new temperature over the stream',
      30_000,
    );
    await temp.locator('.spark canvas').waitFor({ timeout: 30_000 });
    expect(Number(await temp.getByTestId('value').textContent())).toBeGreaterThan(-41);
    await shot(page, 'devices');
  });

  it('sets a desired value from the page: pending, then confirmed by the device', async () => {
    const row = page.getByTestId('prop-setpoint');
    await row.getByTestId('desired-setpoint').fill('42.5');
    // Its desired 21.5 from the YAML is confirmed already: the new value shows pending (from the
    // answer to the PUT) until the device reads it back, then confirmed.
    expect(await row.getByTestId('twin-confirmed').textContent()).toBe('21.5 confirmed');
    await row.getByTestId('set-setpoint').click();
    await row
      .locator('.chip')
      .filter({ hasText: /^42\.5 (pending…|confirmed)$/ })
      .waitFor({ timeout: 30_000 });
    await row.getByTestId('twin-confirmed').filter({ hasText: '42.5 confirmed' }).waitFor({ timeout: 60_000 });
    expect(await row.getByTestId('value').textContent()).toBe('42.5');
    const twin = await api('GET', '/api/v1/twins/default/ua-demo-server');
    expect(twin.properties.setpoint).toMatchObject({ desired: { value: '42.5' }, pending: false });
    await shot(page, 'desired-confirmed');
  });

  it('shows a desired value the device refuses as failed, with the reason the mapper gave', async () => {
    // A model that calls the server's read-only temperature writable: the server refuses the write.
    const yaml = [
      'apiVersion: devices.kubeedge.io/v1beta1',
      'kind: DeviceModel',
      'metadata: { name: ua-refusing, namespace: default }',
      'spec:',
      '  protocol: opcua',
      '  properties:',
      '    - { name: setpoint, type: DOUBLE, accessMode: ReadWrite }',
      '---',
      'apiVersion: devices.kubeedge.io/v1beta1',
      'kind: Device',
      'metadata: { name: ua-refusing, namespace: default }',
      'spec:',
      '  deviceModelRef: { name: ua-refusing }',
      `  nodeName: ${NODE}`,
      '  protocol:',
      '    protocolName: opcua',
      `    configData: { url: "${sim.endpointUrl}", securityPolicy: None, securityMode: None }`,
      '  properties:',
      '    - name: setpoint',
      '      collectCycle: 1000',
      '      reportCycle: 1000',
      '      reportToCloud: true',
      '      visitors: { protocolName: opcua, configData: { nodeID: "ns=3;s=AirConditioner_1.Temperature" } }',
    ].join('\n');
    const applied = await api('POST', '/api/v1/apply', { sources: [{ file: 'refusing.yaml', content: yaml }] });
    expect(applied.applied?.map((a: Json) => a.action)).toEqual(['created', 'created']);
    await waitFor(() => online('ua-refusing'), 'ua-refusing online', 90_000, [cloud.proc, edge]);
    await page.goto(`${cloud.api}/#devices`);
    await page.getByTestId('device-default/ua-refusing').click({ timeout: 30_000 });
    const row = page.getByTestId('prop-setpoint');
    await row.getByTestId('value').waitFor({ timeout: 30_000 });
    await row.getByTestId('desired-setpoint').fill('30');
    await row.getByTestId('set-setpoint').click();
    const failed = row.getByTestId('twin-failed');
    await failed.waitFor({ timeout: 60_000 });
    expect(await failed.textContent()).toMatch(/^30 failed: .*Bad(NotWritable|UserAccessDenied)/);
    const twin = await api('GET', '/api/v1/twins/default/ua-refusing');
    expect(twin.properties.setpoint).toMatchObject({
      desired: { value: '30' },
      failed: { reason: expect.stringMatching(/Bad(NotWritable|UserAccessDenied)/) },
    });
    await shot(page, 'desired-failed');
  });

  it('shows a YAML error next to its line, and applies once it is fixed', async () => {
    await page.goto(`${cloud.api}/#yaml`);
    const broken = [
      'apiVersion: devices.kubeedge.io/v1beta1',
      'kind: Device',
      'metadata:',
      '  name: press-7',
      'spec:',
      '  deviceModelRef: { name: unified-automation-uacppserver }',
      `  nodeName: ${NODE}`,
      '  protocol:',
      '    protocolName: opcua',
      '    configData: { url: "http://not-opc-ua", securityPolicy: None, securityMode: None }',
    ];
    await page.getByTestId('yaml-text').fill(broken.join('\n'));
    await page.getByTestId('yaml-validate').click();
    const note = page.getByTestId('yaml-notes').locator('[data-line="10"]');
    await note.waitFor({ timeout: 30_000 });
    expect(await note.textContent()).toMatch(/✗ .*url/);
    expect(await page.locator('.gutter .ln').nth(9).getAttribute('class')).toBe('ln error');
    expect(await page.getByTestId('yaml-problems').textContent()).toMatch(/editor\.yaml:10:\d+ error: /);
    await shot(page, 'yaml-error');
    broken[9] = `    configData: { url: "${sim.endpointUrl}", securityPolicy: None, securityMode: None }`;
    await page.getByTestId('yaml-text').fill(broken.join('\n'));
    await page.getByTestId('yaml-apply').click();
    await page.getByTestId('yaml-status').getByText('Applied: Device press-7 created').waitFor({ timeout: 30_000 });
    expect((await api('GET', '/api/v1/devices/default/press-7')).spec.nodeName).toBe(NODE);
  });

  it('imports devices from CSV, one per row of a template, after a preview', async () => {
    await page.goto(`${cloud.api}/#import`);
    await page.getByTestId('csv-model').selectOption('default/unified-automation-uacppserver');
    await page.getByTestId('csv-template').selectOption('default/ua-demo-server');
    await page.getByTestId('csv-text').fill(`name,node,label.line\nline-a-press,${NODE},a\nline-b-press,${NODE},b\n`);
    await page.getByTestId('csv-preview').click();
    await page
      .getByTestId('csv-summary')
      .getByText('2 device(s) would be created or updated')
      .waitFor({ timeout: 30_000 });
    expect((await api('GET', '/api/v1/devices')).items.map((d: Json) => d.metadata.name)).not.toContain('line-a-press');
    await page.getByTestId('csv-import').click();
    await page.getByTestId('csv-summary').getByText('Imported 2 device(s): 2 created').waitFor({ timeout: 30_000 });
    const made = (await api('GET', '/api/v1/devices')).items.filter((d: Json) => d.metadata.name.startsWith('line-'));
    expect(made.map((d: Json) => [d.metadata.name, d.metadata.labels?.line, d.spec.protocol.configData.url])).toEqual([
      ['line-a-press', 'a', sim.endpointUrl],
      ['line-b-press', 'b', sim.endpointUrl],
    ]);
    await shot(page, 'csv-import');
    // A bad row: nothing imported, the line named.
    await page.getByTestId('csv-text').fill(`name,node\nline-c-press,${NODE}\nBad Name,${NODE}\n`);
    await page.getByTestId('csv-import').click();
    await page
      .getByTestId('csv-problems')
      .getByText(/import\.csv:3:1: error: column name/)
      .waitFor({ timeout: 30_000 });
    expect((await api('GET', '/api/v1/devices')).items.map((d: Json) => d.metadata.name)).not.toContain('line-c-press');
    await waitFor(() => online('line-b-press'), 'an imported device online', 90_000, [cloud.proc, edge]);
  });

  it('browses the OPC UA server from the edge node and drafts a DeviceModel and Device from picked variables', async () => {
    await page.goto(`${cloud.api}/#browse`);
    expect(await page.getByTestId('browse-url').inputValue()).toBe(sim.endpointUrl);
    await page.getByTestId('browse-go').click();
    const tree = page.getByTestId('browse-tree');
    await tree.getByRole('button', { name: 'open ua-demo-server' }).click({ timeout: 60_000 });
    await page.getByTestId('pick-temperature').check({ timeout: 60_000 });
    await page.getByTestId('pick-setpoint').check();
    expect(await tree.getByText('ns=2;s=Demo.Static.Scalar.Double').isVisible()).toBe(true);
    await shot(page, 'tag-browser');
    await page.getByTestId('draft-model').fill('press-line');
    await page.getByTestId('draft-device').fill('press-9');
    await page.getByTestId('draft-make').click();
    const text = await page.getByTestId('yaml-text').inputValue();
    expect(text).toContain('nodeID: "ns=2;s=Demo.Static.Scalar.Double"');
    expect(text).toMatch(/name: setpoint\n\s+description: .*\n\s+type: DOUBLE\n\s+accessMode: ReadWrite/);
    await page.getByTestId('yaml-validate').click();
    await page.getByTestId('yaml-status').getByText('Valid: 1 model(s), 1 device(s)').waitFor({ timeout: 30_000 });
    await page.getByTestId('yaml-apply').click();
    await page
      .getByTestId('yaml-status')
      .getByText(/Applied: DeviceModel press-line created, Device press-9 created/)
      .waitFor({ timeout: 30_000 });
    await waitFor(() => online('press-9'), 'the drafted device online', 90_000, [cloud.proc, edge]);
    expect(errors).toEqual([]);
  });

  it('shows every device at a glance on the overview (the README picture: devices with a minute of history)', async () => {
    await page.goto(`${cloud.api}/#overview`);
    const table = page.getByTestId('device-table');
    for (const name of ['ua-demo-server', 'press-7', 'line-a-press', 'line-b-press', 'press-9'])
      await table.getByRole('row').filter({ hasText: name }).getByText('online').waitFor({ timeout: 30_000 });
    await shot(page, 'overview-devices');
    await page.goto(`${cloud.api}/#devices`);
    await page.getByTestId('device-default/ua-demo-server').click();
    await page.getByTestId('prop-temperature').locator('.spark canvas').waitFor({ timeout: 30_000 });
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.screenshot({ path: join(SHOTS, 'readme.png') });
    expect(errors).toEqual([]);
  });
});

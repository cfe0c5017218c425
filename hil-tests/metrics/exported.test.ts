/**
 * The Grafana dashboard and the Prometheus alert rules in deploy/ against what kedge really
 * exports: real processes (`kedge cloud` with an API token, `kedge edge` running its OPC UA mapper,
 * the OPC UA simulator), scraped as deploy/prometheus/prometheus.yml scrapes them (the edge
 * through the cloud API) by a real Prometheus (Debian's `prometheus` package; .ci/run installs
 * it), and checked by its `promtool`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ModbusSim, simModelFromInstances } from '../../mappers/modbus/sim/index.js';
import { startOpcuaSim, type OpcuaSim } from '../../mappers/opcua/sim/index.js';
import { parseExposition } from '../../src/core/metrics/index.js';
import { packageRoot } from '../../src/core/paths/index.js';
import { freePort } from '../../src/demo/index.js';
import { validateFiles } from '../../src/model/index.js';
import { edgeSetup, startCloud, startEdge, tempDir, waitFor, type KedgeProcess } from '../e2e/harness/processes.js';
import { asQuery, dashboardExprs, metricNames, PROMETHEUS_CONFIG, RULE_TESTS, RULES, ruleExprs } from './promql.js';

const NODE = 'line-3';
const TOKEN = 'metrics-test-token-0123456789';
const MODEL_FILE = join(packageRoot(), 'device-models', 'unified-automation-uacppserver.yaml');
const MODBUS_FILE = join(packageRoot(), 'device-models', 'moxa-iologik-e1214.yaml');
const PROMETHEUS = '/usr/bin/prometheus';
const PROMTOOL = '/usr/bin/promtool';
// biome-ignore lint/suspicious/noExplicitAny: a test reads JSON as sent and asserts on it field by field
type Json = Record<string, any>;

function need(binary: string): void {
  if (!existsSync(binary))
    throw new Error(
      `${binary} is missing: install Debian's prometheus package (apt-get install prometheus; .ci/run does)`,
    );
}

describe('deploy/grafana and deploy/prometheus against the metrics kedge exports', () => {
  const dir = tempDir('kedge-metrics-');
  let sim: OpcuaSim;
  let modbus: ModbusSim | undefined;
  let cloud: Awaited<ReturnType<typeof startCloud>>;
  let edge: KedgeProcess;
  let prometheus: ChildProcess | undefined;
  let promUrl = '';
  let promLog = '';
  const exported = new Set<string>();

  const api = async (method: string, path: string, body?: unknown): Promise<Response> =>
    fetch(`${cloud.api}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const twin = async (device: string): Promise<Json> =>
    (await (await api('GET', `/api/v1/twins/default/${device}`)).json()) as Json;

  beforeAll(async () => {
    need(PROMETHEUS);
    need(PROMTOOL);
    sim = await startOpcuaSim({ files: [MODEL_FILE], updateIntervalMs: 500 });
    const moxa = (await validateFiles([MODBUS_FILE])).instances;
    modbus = new ModbusSim({ points: simModelFromInstances(moxa).points });
    const { port: modbusPort } = await modbus.listenTcp();
    writeFileSync(join(dir.path, 'api-token'), `${TOKEN}\n`);
    cloud = await startCloud(join(dir.path, 'cloud'), { KEDGE_CLOUD__API_TOKEN_FILE: join(dir.path, 'api-token') });
    edge = await startEdge(
      await edgeSetup(NODE, join(dir.path, 'edge'), `ws://127.0.0.1:${cloud.ports.hub}`, 'process'),
    );
    // The library device, and a polled one two of whose variables do not exist on the server: read
    // errors with a cause (BadNodeIdUnknown) on every poll, 2 of its 9 properties (above the alert's 10 %).
    const yaml = readFileSync(MODEL_FILE, 'utf8')
      .replace(/url: opc\.tcp:\/\/\S+/, `url: ${sim.endpointUrl}`)
      .replace(/nodeName: \S+/, `nodeName: ${NODE}`);
    const broken = yaml
      .split('\n---\n')[1]!
      .replace('name: ua-demo-server', 'name: ua-broken')
      .replace('subscribe: true', 'subscribe: false')
      .replace('nodeID: ns=3;s=AirConditioner_1.Humidity', 'nodeID: ns=3;s=NoSuchVariable')
      .replace('nodeID: ns=3;s=AirConditioner_1.PowerConsumption', 'nodeID: ns=3;s=NoSuchEither');
    const moxaYaml = readFileSync(MODBUS_FILE, 'utf8')
      .replace(/port: 5020/, `port: ${modbusPort}`)
      .replace(/nodeName: \S+/, `nodeName: ${NODE}`);
    const applied = await api('POST', '/api/v1/apply', {
      sources: [
        { file: 'ua.yaml', content: `${yaml}\n---\n${broken}` },
        { file: 'moxa.yaml', content: moxaYaml },
      ],
    });
    expect(applied.status).toBe(200);
    await waitFor(async () => (await twin('ua-demo-server')).state === 'online', 'ua-demo-server online', 90_000, [
      cloud.proc,
      edge,
    ]);
    // A write, for the write series.
    const set = await api('PUT', '/api/v1/twins/default/ua-demo-server/desired?wait=30000', {
      properties: { setpoint: '33.5' },
    });
    expect(((await set.json()) as Json).properties.setpoint.pending).toBe(false);
  }, 240_000);

  afterAll(async () => {
    prometheus?.kill('SIGKILL');
    await edge?.stop();
    await cloud?.proc.stop();
    await sim?.stop();
    await modbus?.stop();
    dir.remove();
  });

  it('the cloud and the node (with its mapper, through the cloud API) export every metric the dashboard and the rules read', async () => {
    const scrape = async (path: string) => {
      const res = await api('GET', path);
      expect(res.status).toBe(200);
      return parseExposition(await res.text());
    };
    // The mapper pushes its page when it connects and every 15 s after.
    await waitFor(
      async () => {
        const page = await (await api('GET', `/api/v1/nodes/${NODE}/metrics`)).text();
        return page.includes('kedge_opcua_sessions{mapper=') && page.includes('kedge_modbus_requests_total{mapper=');
      },
      "both mappers' metrics in the node's page",
      60_000,
      [cloud.proc, edge],
    );
    await waitFor(
      async () =>
        (await (await api('GET', `/api/v1/nodes/${NODE}/metrics`)).text()).includes('cause="BadNodeIdUnknown"'),
      'read errors by cause',
      60_000,
      [cloud.proc, edge],
    );
    const families = [...(await scrape('/metrics')), ...(await scrape(`/api/v1/nodes/${NODE}/metrics`))];
    for (const f of families) {
      exported.add(f.name);
      if (f.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) exported.add(f.name + s);
    }
    // Node's defaults under their standard names, mapper series labelled by mapper.
    expect(exported).toContain('process_cpu_seconds_total');
    expect(exported).toContain('nodejs_heap_size_used_bytes');
    const page = await (await api('GET', `/api/v1/nodes/${NODE}/metrics`)).text();
    expect(page).toMatch(/^process_resident_memory_bytes\{mapper="mapper-opcua"\} \d+/m);
    // The device's desired values from its YAML and the one set above, each confirmed.
    expect(page).toMatch(
      /^kedge_device_writes_total\{device="default\/ua-demo-server",outcome="confirmed"\} [1-9]\d*$/m,
    );
    expect(page).toMatch(/^kedge_outbox_messages \d+$/m);

    const wanted = new Map<string, string[]>();
    const note = (name: string, where: string) => wanted.set(name, [...(wanted.get(name) ?? []), where]);
    for (const e of dashboardExprs()) for (const n of metricNames(e)) note(n, 'deploy/grafana/kedge-dashboard.json');
    for (const r of ruleExprs())
      for (const n of metricNames(r.expr)) note(n, `deploy/prometheus/kedge-alerts.yaml ${r.alert}`);
    expect(wanted.size).toBeGreaterThan(20);
    const missing = [...wanted]
      .filter(([n]) => !exported.has(n))
      .map(([n, where]) => `${n} (${[...new Set(where)].join(', ')})`);
    expect(missing).toEqual([]);
  });

  it('promtool finds the rules valid and their unit tests pass', () => {
    expect(execFileSync(PROMTOOL, ['check', 'rules', RULES], { encoding: 'utf8' })).toMatch(/SUCCESS: \d+ rules found/);
    expect(
      execFileSync(PROMTOOL, ['test', 'rules', RULE_TESTS], {
        encoding: 'utf8',
        cwd: join(packageRoot(), 'deploy', 'prometheus'),
      }),
    ).toContain('SUCCESS');
  });

  it("Prometheus scrapes both with deploy/prometheus/prometheus.yml's jobs, evaluates the rules and every dashboard query", async () => {
    // The shipped configuration, pointed at this test's cloud and node.
    const config = parse(readFileSync(PROMETHEUS_CONFIG, 'utf8')) as Json;
    config.global.scrape_interval = '1s';
    config.global.evaluation_interval = '1s';
    for (const job of config.scrape_configs as Json[]) {
      job.authorization.credentials_file = join(dir.path, 'api-token');
      job.static_configs = job.static_configs.slice(0, 1).map((c: Json) => ({
        ...c,
        targets: [`127.0.0.1:${cloud.ports.api}`],
        ...(c.labels ? { labels: { node: NODE } } : {}),
      }));
    }
    copyFileSync(RULES, join(dir.path, 'kedge-alerts.yaml'));
    writeFileSync(join(dir.path, 'prometheus.yml'), stringify(config));
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(dir.path, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir.path, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout!.on('data', (d) => (promLog += d));
    prometheus.stderr!.on('data', (d) => (promLog += d));
    const query = async (q: string): Promise<Json> =>
      (await (await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as Json;
    const up = async (job: string) => {
      try {
        return (await query(`up{job="${job}"}`)).data?.result?.[0]?.value?.[1] === '1';
      } catch {
        return false;
      }
    };
    await waitFor(
      async () => (await up('kedge-cloud')) && (await up('kedge-edge')),
      `both jobs up (log: ${promLog})`,
      60_000,
    );
    // Rates need two scrapes.
    await new Promise((r) => setTimeout(r, 3000));
    const failed: string[] = [];
    const empty: string[] = [];
    for (const e of dashboardExprs()) {
      const r = await query(asQuery(e));
      if (r.status !== 'success') failed.push(`${e}: ${r.error}`);
      else if (r.data.result.length === 0) empty.push(e);
    }
    expect(failed).toEqual([]);
    // What this setup produces must show: nodes, devices, outbox, reads, errors, writes, mapper, processes.
    for (const must of [
      'sum(max by (node) (kedge_node_ready{node=~"$node"}))',
      'kedge_outbox_messages{node=~"$node"}',
      'sum by (cause) (rate(kedge_device_read_errors_total{node=~"$node",device=~"$device"}[$__rate_interval]))',
      'time() - kedge_device_last_good_read_timestamp_seconds{node=~"$node",device=~"$device"}',
      'kedge_mapper_metrics_age_seconds{node=~"$node"}',
      'process_resident_memory_bytes{job=~"kedge.*"}',
    ])
      expect(empty).not.toContain(must);
    const rules = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as Json;
    const health = rules.data.groups.flatMap((g: Json) =>
      g.rules.map((r: Json) => `${r.name} ${r.health} ${r.lastError ?? ''}`),
    );
    expect(health).toHaveLength(ruleExprs().length);
    await waitFor(
      async () =>
        ((await (await fetch(`${promUrl}/api/v1/rules`)).json()) as Json).data.groups
          .flatMap((g: Json) => g.rules)
          .every((r: Json) => r.health === 'ok'),
      'every rule evaluated without error',
      30_000,
    );
    // The broken device's read errors are real, and above the alert's 10 %.
    const ratio = await query(ruleExprs().find((r) => r.alert === 'KedgeDeviceReadErrors')!.expr);
    expect(ratio.data.result.map((s: Json) => s.metric.device)).toContain('default/ua-broken');
  });
});

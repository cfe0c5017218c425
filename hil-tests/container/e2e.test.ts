/**
 * Containers end to end with real processes: `kedge cloud`, `kedge edge --runtime container`
 * against a `podman system service` (runc), the kedge image from deploy/container/build-image.sh.
 * A mapper container reads a simulated Modbus device into the cloud; a Pod applied in the cloud
 * runs on the edge, reports its status, streams its log through the link and goes with its
 * deletion; after a kill -9 of the edge its containers are adopted, not duplicated; with the
 * cloud gone they keep running.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModbusSim } from '../../mappers/modbus/sim/index.js';
import { runKedge, spawnKedge } from '../e2e/harness/kedge.js';
import {
  edgeSetup,
  startCloud,
  startEdge,
  tempDir,
  waitFor,
  type EdgeSetup,
  type KedgeProcess,
} from '../e2e/harness/processes.js';
import { buildKedgeImage, containersOf, removeContainersOf, stablePort, startPodmanService } from './podman.js';

// biome-ignore lint/suspicious/noExplicitAny: a test reads the engine's and the API's JSON as sent and asserts on it field by field
type Json = Record<string, any>;
const NODE = 'hil-containers';

const POD = (image: string) => `apiVersion: v1
kind: Pod
metadata:
  name: counter
  namespace: default
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  containers:
    - name: app
      image: ${image}
      command: [node, -e]
      args: ['let i = 0; setInterval(() => console.log("tick " + i++ + " " + process.env.GREETING), 200)']
      env: [{ name: GREETING, value: from-the-cloud }]
      resources: { limits: { memory: 128Mi, cpu: 500m } }
`;

/**
 * A Pod publishing on the edge broker twice: once as a KubeEdge mapper does, with no credentials
 * (it has no setting for them: the broker knows its process as one of a container Edged runs),
 * once with the account Edged puts in its environment (KEDGE_MQTT_URL, KEDGE_MQTT_PASSWORD).
 * Each asks for the meter's twin and logs the answer; a refused publish would close its client.
 */
const BROKER_POD = (image: string, mqttPort: number) => `apiVersion: v1
kind: Pod
metadata:
  name: broker-client
  namespace: default
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  containers:
    - name: app
      image: ${image}
      command: [node, --input-type=module, -e]
      args:
        - |
          // kedge's own small MQTT client from the image (no dependencies to carry along).
          const { LiteMqttClient } = await import('/opt/kedge/dist/mappers/sdk/mqtt-lite/client.js');
          const get = '$hw/events/device/default/e2e-meter-1/twin/get';
          const ask = (who, login) => {
            const c = new LiteMqttClient({ host: '127.0.0.1', port: ${mqttPort}, clientId: who, clean: true,
              reconnectPeriodMs: 600000, connectTimeoutMs: 5000, ...login });
            c.on('connect', () => c.subscribe([get + '/result'], 1, () =>
              c.publish(get, JSON.stringify({ event_id: who, timestamp: Date.now() }), { qos: 1 }, () => undefined)));
            c.on('message', (t) => console.log(who + ' got ' + t));
            c.on('offline', () => console.log(who + ' closed'));
            c.on('error', (e) => console.log(who + ' error ' + e.message));
            c.start();
          };
          ask('anonymous', {});
          const url = new URL(process.env.KEDGE_MQTT_URL);
          ask('account', { username: decodeURIComponent(url.username), password: process.env.KEDGE_MQTT_PASSWORD });
          setInterval(() => undefined, 1000);
`;

describe('containers from the cloud on an edge node (podman + runc)', () => {
  const dir = tempDir('kedge-containers-');
  let image: string;
  let service: Awaited<ReturnType<typeof startPodmanService>>;
  let cloud: Awaited<ReturnType<typeof startCloud>>;
  let setup: EdgeSetup;
  let edge: KedgeProcess;
  let sim: ModbusSim;
  let env: Record<string, string>;

  const get = async (path: string): Promise<Json | undefined> => {
    const res = await fetch(`${cloud.api}${path}`).catch(() => undefined);
    return res?.ok ? ((await res.json()) as Json) : undefined;
  };
  const pod = () => get('/api/v1/pods/default/counter');
  const cli = (...args: string[]) => runKedge([...args, '--server', cloud.api], { timeoutMs: 30_000 });

  beforeAll(async () => {
    [image, service] = await Promise.all([buildKedgeImage(), startPodmanService()]);
    await removeContainersOf(NODE);
    sim = new ModbusSim({ units: [1] });
    const { port } = await sim.listenTcp({ host: '127.0.0.1' });
    sim.memory(1).writeRegisters('HoldingRegister', 0, [215, 7, 0]);
    const yaml = readFileSync(new URL('../e2e/fixtures/e2e-meter.yaml', import.meta.url), 'utf8')
      .replaceAll('NODE', NODE)
      .replaceAll('PORT', String(port));
    writeFileSync(join(dir.path, 'meter.yaml'), yaml);
    writeFileSync(join(dir.path, 'pod.yaml'), POD(image));
    cloud = await startCloud(join(dir.path, 'cloud'));
    setup = {
      ...(await edgeSetup(NODE, join(dir.path, 'edge'), `ws://127.0.0.1:${cloud.ports.hub}`, 'process')),
      mqttPort: await stablePort(),
      apiPort: await stablePort(),
    };
    env = {
      KEDGE_EDGE__RUNTIME: 'container',
      KEDGE_EDGE__CONTAINER_SOCKET: service.socket,
      KEDGE_EDGE__MAPPER_IMAGE: image,
    };
    edge = await startEdge(setup, env);
  }, 300_000);

  afterAll(async () => {
    await edge?.stop();
    await cloud?.proc.stop();
    await sim?.stop();
    await removeContainersOf(NODE).catch(() => undefined);
    await service?.stop();
    dir.remove();
  });

  it('runs the Modbus mapper as a container that reads the simulated device into the cloud', async () => {
    const applied = await cli('apply', '-f', join(dir.path, 'meter.yaml'));
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    await waitFor(
      async () => (await get('/api/v1/twins/default/e2e-meter-1'))?.properties?.temperature?.reported?.value === '21.5',
      'the temperature read by the mapper container in the cloud twin',
      90_000,
      [edge, cloud.proc],
    );
    const mappers = await containersOf(NODE, { 'io.kedge.kind': 'mapper' }, false);
    expect(mappers).toHaveLength(1);
    sim.memory(1).writeRegisters('HoldingRegister', 1, [8]);
    await waitFor(
      async () => (await get('/api/v1/twins/default/e2e-meter-1'))?.properties?.counter?.reported?.value === '8',
      'a new value',
      30_000,
    );
  });

  it('runs a Pod applied in the cloud: status up, kedge get pods, kedge logs [-f] through the link', async () => {
    const applied = await cli('apply', '-f', join(dir.path, 'pod.yaml'));
    expect(applied.stdout).toContain('pod/default/counter created');
    await waitFor(async () => (await pod())?.status?.phase === 'Running', 'the Pod Running in the cloud', 60_000, [
      edge,
    ]).catch((err) => {
      throw new Error(`${err}\nedge:\n${edge.output.slice(-4000)}\ncloud:\n${cloud.proc.output.slice(-4000)}`);
    });
    const status = (await pod())!.status;
    expect(status.containerStatuses[0]).toMatchObject({ name: 'app', ready: true, restartCount: 0 });
    const table = await cli('get', 'pods');
    expect(table.stdout).toMatch(/default\s+counter\s+1\/1\s+Running\s+0\s+hil-containers/);

    await waitFor(
      async () => (await cli('logs', 'default/counter')).stdout.includes('tick 3 from-the-cloud'),
      'log lines',
      30_000,
    );
    const tail = await cli('logs', 'default/counter', '--tail', '1');
    expect(tail.stdout.trim().split('\n')).toHaveLength(1);
    const missing = await cli('logs', 'default/counter', '-c', 'nope');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('has no container nope');
    // The edge's error keeps its code and status through the link: 404, not a gateway error.
    const refused = await fetch(`${cloud.api}/api/v1/pods/default/counter/log?container=nope`);
    expect(refused.status).toBe(404);
    expect(((await refused.json()) as Json).error.code).toBe('KEDGE_EDGED_NO_CONTAINER');

    const follow = spawnKedge(['logs', 'default/counter', '-f', '--tail', '0', '--server', cloud.api]);
    let followed = '';
    follow.stdout!.on('data', (d) => (followed += d));
    try {
      await waitFor(() => (followed.match(/tick \d+/g) ?? []).length >= 5, 'five new lines while following', 30_000);
    } finally {
      follow.kill('SIGINT');
    }
  });

  it('a Pod publishes on the edge broker without credentials (KubeEdge mappers have none) and with the account it is given', async () => {
    writeFileSync(join(dir.path, 'broker-pod.yaml'), BROKER_POD(image, setup.mqttPort));
    expect((await cli('apply', '-f', join(dir.path, 'broker-pod.yaml'))).code).toBe(0);
    const logs = async () => (await cli('logs', 'default/broker-client')).stdout;
    await waitFor(
      async () =>
        /anonymous got \S+\/twin\/get\/result/.test(await logs()) &&
        /account got \S+\/twin\/get\/result/.test(await logs()),
      'both twin/get answers in the Pod log',
      60_000,
      [edge],
    ).catch(async (err) => {
      throw new Error(`${err}\npod log:\n${await logs()}\nedge:\n${edge.output.slice(-4000)}`);
    });
    expect(await logs()).not.toMatch(/closed|error/);
    expect(edge.output).toMatch(/client without credentials is Pod default\/broker-client .*publishes as kedge-mapper/);
    expect(edge.output).not.toMatch(/edge broker refused/);
    // Any other local client without credentials may only read.
    const anon = await mqtt.connectAsync(`mqtt://127.0.0.1:${setup.mqttPort}`, { reconnectPeriod: 0 });
    const closed = new Promise<boolean>((resolve) => anon.once('close', () => resolve(true)));
    anon.publish('$hw/events/device/default/e2e-meter-1/twin/get', '{}', { qos: 1 });
    expect(await closed).toBe(true);
    await anon.endAsync(true);

    expect((await cli('delete', 'pod', 'default/broker-client')).code).toBe(0);
    await waitFor(
      async () =>
        (await containersOf(NODE, { 'io.kedge.kind': 'pod', 'io.kedge.owner': 'default/broker-client' })).length === 0,
      'the broker Pod removed',
      30_000,
    );
  });

  it('adopts its containers after a kill -9 of the edge, never starting second ones', async () => {
    const before = await containersOf(NODE, {}, false);
    expect(before).toHaveLength(2); // the mapper and the Pod's container
    await edge.stop('SIGKILL');
    await new Promise((r) => setTimeout(r, 1000));
    expect(await containersOf(NODE, {}, false)).toEqual(before); // still running without the edge
    edge = await startEdge(setup, env);
    // The mapper reconnects to the restarted broker, the readings flow again.
    sim.memory(1).writeRegisters('HoldingRegister', 1, [9]);
    await waitFor(
      async () => (await get('/api/v1/twins/default/e2e-meter-1'))?.properties?.counter?.reported?.value === '9',
      'readings after the restart',
      60_000,
      [edge],
    );
    expect(await containersOf(NODE)).toEqual(before);
    expect((await pod())!.status.containerStatuses[0]).toMatchObject({ ready: true, restartCount: 0 });
    expect(edge.output).toContain('container adopted');
  });

  it('deleting the Pod removes its container; with the cloud gone the mapper keeps running', async () => {
    const deleted = await cli('delete', 'pod', 'default/counter');
    expect(deleted.stdout).toContain('pod/default/counter deleted');
    await waitFor(
      async () => (await containersOf(NODE, { 'io.kedge.kind': 'pod' })).length === 0,
      'the container removed',
      30_000,
    );
    const mapper = await containersOf(NODE, { 'io.kedge.kind': 'mapper' }, false);
    await cloud.proc.stop('SIGKILL');
    await waitFor(() => /link to the cloud down/.test(edge.output), 'the edge noticing the cloud is gone', 30_000);
    expect(await containersOf(NODE, { 'io.kedge.kind': 'mapper' }, false)).toEqual(mapper);
  });
});

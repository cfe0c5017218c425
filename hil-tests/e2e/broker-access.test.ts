/**
 * The edge broker checking access (issue 18), with real processes: `kedge edge` with
 * edge.mqtt.anonymous=read starts its Modbus mapper as a process with an account of its own (the
 * password in its environment), so readings still flow to the cloud; a local client without
 * credentials may subscribe but its publish on an ingress topic is refused and counted.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { ModbusSim, simModelFromInstances } from '../../mappers/modbus/sim/index.js';
import { packageRoot } from '../../src/core/paths/index.js';
import { validateFiles } from '../../src/model/index.js';
import { runKedge } from './harness/kedge.js';
import { edgeSetup, startCloud, startEdge, tempDir, waitFor, type KedgeProcess } from './harness/processes.js';

const MODEL = join(packageRoot(), 'device-models', 'moxa-iologik-e1214.yaml');
const NODE = 'acl-1';

describe('edge broker with accounts: Edged mappers get credentials, anonymous clients only read', () => {
  const dir = tempDir('kedge-e2e-broker-');
  const stops: Array<() => Promise<unknown> | unknown> = [];
  afterAll(async () => {
    for (const s of stops.reverse()) await s();
    dir.remove();
  });

  it('readings flow from the process mapper; an anonymous publish is refused', async () => {
    const sim = new ModbusSim({ points: simModelFromInstances((await validateFiles([MODEL])).instances).points });
    const { port } = await sim.listenTcp();
    stops.push(() => sim.stop());
    const cloud = await startCloud(join(dir.path, 'cloud'));
    stops.push(() => cloud.proc.stop());
    const setup = await edgeSetup(NODE, join(dir.path, 'edge'), `ws://127.0.0.1:${cloud.ports.hub}`, 'process');
    // The defaults: clients without credentials may only read (edge.mqtt.anonymous: read).
    const edge: KedgeProcess = await startEdge(setup);
    stops.push(() => edge.stop());
    const file = join(dir.path, 'moxa.yaml');
    writeFileSync(
      file,
      readFileSync(MODEL, 'utf8')
        .replace(/port: 5020/, `port: ${port}`)
        .replace(/nodeName: \S+/, `nodeName: ${NODE}`),
    );
    expect((await runKedge(['apply', '-f', file, '--server', cloud.api])).code).toBe(0);
    const twin = async () =>
      (await (await fetch(`${cloud.api}/api/v1/twins/default/iologik-e1214-pump-house`)).json()) as {
        state?: string;
        properties?: Record<string, { reported?: unknown }>;
      };
    await waitFor(
      async () => {
        const t = await twin();
        return t.state === 'online' && Object.values(t.properties ?? {}).some((p) => p.reported !== undefined);
      },
      'the device online with reported values, through the mapper process and its account',
      90_000,
      [edge, cloud.proc],
    );
    expect(edge.output).toMatch(/edge broker checks credentials and topic ACLs/);
    // A local client without credentials: subscribing works, publishing readings does not.
    const anon = await mqtt.connectAsync(`mqtt://127.0.0.1:${setup.mqttPort}`, { reconnectPeriod: 0 });
    stops.push(() => anon.endAsync(true));
    await anon.subscribeAsync('$hw/events/device/+/+/twin/update/document');
    const closed = new Promise<boolean>((resolve) => {
      anon.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 5000);
    });
    anon.publish('$ke/events/device/default/iologik-e1214-pump-house/data/update', '{"readings":[]}', { qos: 1 });
    expect(await closed).toBe(true);
    await waitFor(
      () => /edge broker refused a publish: a client without credentials may only subscribe/.test(edge.output),
      'the refusal logged',
      10_000,
    );
  }, 180_000);
});

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud } from '../../src/cloud/testing/cloud-under-test.js';
import { thermostat, thermostatModel } from '../../src/cloud/testing/fixtures.js';
import { RawEdge, waitUntil } from '../../src/cloud/testing/raw-edge.js';
import { freePort, requireMosquitto } from '../support/brokers.js';

/** Mosquitto on a fixed port, so that it can be stopped and started again at the same address. */
class RestartableMosquitto {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'kedge-mosq-outage-'));
  constructor(readonly port: number) {
    writeFileSync(join(this.dir, 'm.conf'), `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  }

  async start(): Promise<void> {
    this.child = spawn(requireMosquitto(), ['-c', join(this.dir, 'm.conf')], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      const up = await new Promise<boolean>((resolve) => {
        const s = connect(this.port, '127.0.0.1');
        s.once('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      });
      if (up) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`mosquitto did not listen on 127.0.0.1:${this.port}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

describe('cloud MQTT broker outage (external Mosquitto)', () => {
  let broker: RestartableMosquitto;
  let t: Awaited<ReturnType<typeof startTestCloud>>;
  let edge: RawEdge;

  beforeAll(async () => {
    broker = new RestartableMosquitto(await freePort());
    await broker.start();
    t = await startTestCloud({ mqtt: { port: 1883, host: '127.0.0.1', url: `mqtt://127.0.0.1:${broker.port}` } });
    await fetch(`${t.api}/api/v1/apply`, {
      method: 'POST',
      body: JSON.stringify({ documents: [thermostatModel(), thermostat('t1', 'edge-1')] }),
    });
    edge = await RawEdge.connect(t.cloud.ports.hub, 'edge-1');
  });

  afterAll(async () => {
    edge?.close();
    await t?.stop();
    await broker?.dispose();
  });

  it('does not acknowledge while the broker is down; acknowledges once the broker has the message', async () => {
    await broker.stop();
    const report = edge.upload('edge-1', 'default/devicetwin/t1', {
      properties: { temperature: { reported: { value: '19.5', quality: 'good', ts: 7, version: 1 } } },
    });
    await new Promise((r) => setTimeout(r, 1500));
    expect(edge.acksFor(report.header.msg_id)).toHaveLength(0);
    // The edge re-sends while waiting (e.g. after its own ack timeout): still one publish, two acks later.
    edge.upload('edge-1', 'default/devicetwin/t1', report.content, report.header.msg_id);
    await broker.start();
    await waitUntil(() => edge.acksFor(report.header.msg_id).length === 2, 'acks after the broker came back', 30_000);
    const out = spawnSync(
      'mosquitto_sub',
      ['-h', '127.0.0.1', '-p', String(broker.port), '-t', 'kedge/twin/default/t1', '-C', '1', '-W', '5'],
      { encoding: 'utf8' },
    );
    expect(out.status).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({
      id: 'default/t1',
      properties: { temperature: { reported: { value: '19.5' } } },
    });
  }, 90_000);
});

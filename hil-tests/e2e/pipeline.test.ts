import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ModbusSim } from '../../mappers/modbus/sim/index.js';
import { runKedge } from './harness/kedge.js';
import { edgeSetup, startCloud, startEdge, tempDir, waitFor, type KedgeProcess } from './harness/processes.js';
import { CloudSubscriber } from './harness/subscriber.js';

const DEVICE = 'default/e2e-meter-1';
const HR = 'holding';

/**
 * The whole chain as separate processes: a Modbus simulator (in this process, so the test sets
 * its registers) -> `kedge mapper` (run by the edge's Edged) -> `kedge edge` -> `kedge cloud` ->
 * a consumer on the cloud MQTT broker.
 */
describe('end to end: simulator -> mapper -> edge -> cloud -> MQTT consumer', () => {
  const dir = tempDir('kedge-e2e-pipeline-');
  let sim: ModbusSim;
  let cloud: Awaited<ReturnType<typeof startCloud>>;
  let edge: KedgeProcess;
  let sub: CloudSubscriber;
  const procs = () => [cloud.proc, edge];

  const setRegister = (offset: number, value: number) => sim.memory(1).writeRegisters(HR as never, offset, [value]);

  beforeAll(async () => {
    sim = new ModbusSim({});
    const { port } = await sim.listenTcp({ host: '127.0.0.1', port: 0 });
    setRegister(0, 215);
    setRegister(1, 7);
    setRegister(2, 5);
    cloud = await startCloud(join(dir.path, 'cloud'));
    sub = await CloudSubscriber.connect(cloud.ports.mqtt);
    edge = await startEdge(
      await edgeSetup('e2e-node', join(dir.path, 'edge'), `ws://127.0.0.1:${cloud.ports.hub}`, 'process'),
    );
    const file = join(dir.path, 'e2e-meter.yaml');
    writeFileSync(
      file,
      readFileSync(new URL('./fixtures/e2e-meter.yaml', import.meta.url), 'utf8')
        .replace('NODE', 'e2e-node')
        .replace('PORT', String(port)),
    );
    const applied = await runKedge(['apply', '-f', file, '--server', cloud.api]);
    expect(applied.stdout).toContain(`device/${DEVICE} created`);
  }, 120_000);

  afterAll(async () => {
    await sub?.close();
    await edge?.stop();
    await cloud?.proc.stop();
    await sim?.stop();
    dir.remove();
  });

  it('delivers cleansed values that match the simulator, with quality and unit', async () => {
    await waitFor(
      () => sub.readings(DEVICE, 'temperature').some((r) => r.value === 21.5),
      'temperature 21.5 at the consumer',
      60_000,
      procs(),
    );
    const t = sub.readings(DEVICE, 'temperature').find((r) => r.value === 21.5)!;
    expect(t).toMatchObject({ quality: 'good', unit: 'degC' });
    expect(sub.readings(DEVICE, 'counter').at(-1)).toMatchObject({ value: 7, quality: 'good' });
    const msg = sub.telemetry.find((m) => m.device === 'e2e-meter-1')!;
    expect(msg).toMatchObject({ namespace: 'default', device: 'e2e-meter-1', node: 'e2e-node' });

    setRegister(1, 4242);
    setRegister(0, 2000); // 200.0 degC: outside the model's range, rejected by cleansing
    await waitFor(() => sub.readings(DEVICE, 'counter').some((r) => r.value === 4242), 'counter 4242', 20_000, procs());
    await waitFor(
      () => sub.readings(DEVICE, 'temperature').some((r) => r.quality === 'bad'),
      'a bad temperature',
      20_000,
      procs(),
    );
    expect(sub.readings(DEVICE, 'temperature').some((r) => r.value === 200 && r.quality === 'good')).toBe(false);
    // Why it is bad reaches the consumer and the twin (kedge get twin) too.
    const bad = sub.readings(DEVICE, 'temperature').find((r) => r.quality === 'bad')!;
    expect(bad.reason).toMatch(/^range: 200 above max \d+/);
    let twin = '';
    await waitFor(
      async () => {
        twin = (await runKedge(['get', 'twin', DEVICE, '--server', cloud.api])).stdout;
        return /temperature\s+\S+\s+\S+\s+bad: range: 200 above max/.test(twin);
      },
      'the reason of the bad temperature in kedge get twin',
      30_000,
      procs(),
    );
  });

  it('desired value round trip: kedge twin set -> device written -> read back -> kedge get twin and kedge/twin/...', async () => {
    const set = await runKedge(['twin', 'set', DEVICE, 'setpoint=42', '--wait', '20000', '--server', cloud.api], {
      timeoutMs: 60_000,
    });
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(sim.memory(1).readRegisters(HR as never, 2, 1)).toEqual([42]);
    const got = await runKedge(['get', 'twin', DEVICE, '-o', 'json', '--server', cloud.api]);
    const twin = JSON.parse(got.stdout) as {
      properties: Record<string, { desired?: { value: string }; reported?: { value: string } }>;
    };
    expect(twin.properties.setpoint).toMatchObject({ desired: { value: '42' }, reported: { value: '42' } });
    await waitFor(
      () => {
        const t = sub.latest.get(`kedge/twin/${DEVICE}`) as
          | { properties?: Record<string, { reported?: { value?: unknown } }> }
          | undefined;
        return JSON.stringify(t ?? {}).includes('"42"');
      },
      'the retained twin on kedge/twin/default/e2e-meter-1 with 42',
      20_000,
      procs(),
    );
    await waitFor(
      () => sub.readings(DEVICE, 'setpoint').some((r) => r.value === 42),
      'setpoint 42 in telemetry',
      20_000,
      procs(),
    );
  });

  it('twin set checks values when they are set: 1 is the boolean true and is confirmed; too large is one line, exit 1', async () => {
    const set = (...assignments: string[]) =>
      runKedge(['twin', 'set', DEVICE, ...assignments, '--wait', '20000', '--server', cloud.api], {
        timeoutMs: 60_000,
      });
    const on = await set('enabled=1');
    expect(on.stderr).toBe('');
    expect(on.code).toBe(0);
    expect(on.stdout).toMatch(/enabled\s+true\s+true\s+good\s+\S+\s+in sync/);
    expect(sim.memory(1).readBits('CoilRegister' as never, 0, 1)).toEqual([true]);
    const tooBig = await set('setpoint=5000');
    expect(tooBig.code).toBe(1);
    expect(tooBig.stderr.trim().split('\n')).toEqual([
      expect.stringContaining(
        'KEDGE_DEVICECONTROLLER_BAD_DESIRED: Device default/e2e-meter-1: setpoint=5000: 5000 is above the maximum 1000',
      ),
    ]);
  });

  it('malformed and oversized frames on the WebSocket close only that connection, with a logged reason', async () => {
    const hub = `ws://127.0.0.1:${cloud.ports.hub}/kedge/intruder/events`;
    const closeOf = (send: (ws: WebSocket) => void) =>
      new Promise<{ code: number; reason: string }>((resolve, reject) => {
        const ws = new WebSocket(hub);
        ws.once('open', () => send(ws));
        ws.once('error', () => undefined);
        ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
        setTimeout(() => reject(new Error('connection not closed')), 10_000);
      });
    const malformed = await closeOf((ws) => ws.send('{"header": 42'));
    expect(malformed.code).toBe(1007);
    expect(malformed.reason).toContain('not JSON');
    const oversized = await closeOf((ws) =>
      ws.send(
        JSON.stringify({ header: { msg_id: 'x', timestamp: 1 }, route: {}, content: 'y'.repeat(5 * 1024 * 1024) }),
      ),
    );
    expect(oversized.code).toBe(1009);
    await waitFor(
      () =>
        cloud.proc.output.includes('KEDGE_CLOUDHUB_MALFORMED_FRAME') &&
        cloud.proc.output.includes('KEDGE_CLOUDHUB_FRAME_TOO_BIG'),
      'both reasons in the cloud log',
      5000,
    );
    // Nothing else is disturbed: the real edge keeps its connection and its telemetry flows.
    const before = sub.telemetry.length;
    setRegister(1, 777);
    await waitFor(
      () => sub.readings(DEVICE, 'counter').some((r) => r.value === 777),
      'telemetry after the bad frames',
      20_000,
      procs(),
    );
    expect(sub.telemetry.length).toBeGreaterThan(before);
    const nodes = JSON.parse((await runKedge(['get', 'nodes', '-o', 'json', '--server', cloud.api])).stdout) as {
      items: Array<{ name: string; ready: boolean }>;
    };
    expect(nodes.items.find((n) => n.name === 'e2e-node')?.ready).toBe(true);
    expect(edge.output).not.toContain('link to the cloud down');
  });

  // Last: it stops the edge.
  it('one truth about state: when the edge stops, kedge get devices|nodes|twin say what kedge/status says', async () => {
    const get = async (...args: string[]) => (await runKedge(['get', ...args, '--server', cloud.api])).stdout;
    await waitFor(async () => / online/.test(await get('devices')), 'the device online', 20_000, procs());
    expect(await edge.stop()).toBe(0);
    await waitFor(
      () => {
        const s = sub.latest.get(`kedge/status/device/${DEVICE}`) as { state?: string } | undefined;
        return s?.state === 'unknown';
      },
      'kedge/status/device says unknown',
      20_000,
    );
    const status = sub.latest.get(`kedge/status/device/${DEVICE}`) as { reason: string };
    expect(status.reason).toMatch(/^node e2e-node is not ready: /);
    // The CLI at once, no status write or interval to wait for.
    const devices = await get('devices');
    expect(devices).toContain(`e2e-meter-1`);
    expect(devices).toMatch(/modbus\s+unknown\s+node e2e-node is not ready: /);
    expect(devices).toContain(status.reason);
    expect(await get('nodes')).toMatch(/e2e-node\s+NotReady\s+\S+\s+\S+\s+\S/);
    expect((await get('twin', DEVICE)).split('\n')[0]).toBe(`${DEVICE}: unknown (${status.reason})`);
  });
});

import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ModbusSim } from '../../mappers/modbus/sim/index.js';
import { runKedge } from '../e2e/harness/kedge.js';
import { edgeSetup, startCloud, startEdge, tempDir, waitFor, type KedgeProcess } from '../e2e/harness/processes.js';
import { CloudSubscriber } from '../e2e/harness/subscriber.js';
import { reportFigures } from './harness/report.js';

const DEVICE = 'default/e2e-meter-1';
const DOWN_S = Number(process.env.KEDGE_FAULTS_EDGE_DOWN_S ?? 20);
/** Several seconds of this device's polls (one message of all its readings every 200 ms). */
const BUFFER_BYTES = 22_000;
const FIXTURE = readFileSync(new URL('../e2e/fixtures/e2e-meter.yaml', import.meta.url), 'utf8');
/** Readings per poll: every property of the device is read each cycle (all at 200 ms). */
const PER_POLL = (FIXTURE.match(/collectCycle:/g) ?? []).length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`the edge down for ${DOWN_S} s while its Modbus mapper keeps polling`, () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('loses no reading the mapper could hold: what is missing is exactly what it dropped beyond mapper.bufferBytes', async () => {
    const dir = tempDir('kedge-faults-edgedown-');
    cleanups.push(() => dir.remove());
    // Every poll of the device is one read of registers 0..2; the counter (register 1) counts them.
    const sim = new ModbusSim({});
    cleanups.push(() => sim.stop());
    const { port } = await sim.listenTcp({ host: '127.0.0.1', port: 0 });
    const hr = () => sim.memory(1);
    hr().writeRegisters('holding' as never, 0, [215, 0, 5]);
    let polls = 0;
    const respond = sim.respond.bind(sim);
    sim.respond = (unit, pdu) => {
      if (unit === 1 && pdu[0] === 3) hr().writeRegisters('holding' as never, 1, [++polls & 0xffff]);
      return respond(unit, pdu);
    };

    const cloud = await startCloud(join(dir.path, 'cloud'));
    cleanups.push(() => cloud.proc.stop());
    const sub = await CloudSubscriber.connect(cloud.ports.mqtt, ['kedge/telemetry/#']);
    cleanups.push(() => sub.close());
    const s = await edgeSetup('down-node', join(dir.path, 'edge'), `ws://127.0.0.1:${cloud.ports.hub}`, 'process');
    const env = { KEDGE_MAPPER__BUFFER_BYTES: String(BUFFER_BYTES) };
    let edge: KedgeProcess = await startEdge(s, env);
    cleanups.push(() => edge.stop());
    const file = join(dir.path, 'meter.yaml');
    writeFileSync(file, FIXTURE.replace('NODE', s.node).replace('PORT', String(port)));
    expect((await runKedge(['apply', '-f', file, '--server', cloud.api])).code).toBe(0);
    const counters = () => sub.readings(DEVICE, 'counter').map((r) => r.value as number);
    await waitFor(() => counters().length >= 10, 'readings before the edge goes down', 60_000, [edge, cloud.proc]);

    edge.child.kill('SIGKILL');
    await edge.stop();
    const atKill = polls;
    await sleep(DOWN_S * 1000);
    const pollsWhileDown = polls - atKill;
    edge = await startEdge(s, env);
    const atRestart = polls;
    await waitFor(() => Math.max(...counters()) > atRestart + 10, 'readings after the restart', 60_000, [
      edge,
      cloud.proc,
    ]);

    const seen = counters();
    const unique = [...new Set(seen)];
    const first = unique[0]!;
    const last = unique.at(-1)!;
    const missing = last - first + 1 - unique.length;
    const logs = readdirSync(join(s.dataDir, 'logs'))
      .filter((f) => f.startsWith('mapper-'))
      .map((f) => readFileSync(join(s.dataDir, 'logs', f), 'utf8'))
      .join('');
    const restored = /"code":"KEDGE_MAPPER_HELD_RESTORED"[^\n]*/.exec(logs)?.[0];
    expect(restored, 'the new mapper found what its predecessor held').toBeDefined();
    const droppedBefore = Number(/"droppedBefore":(\d+)/.exec(restored!)![1]);
    const heldReadings = Number(/"readings":(\d+)/.exec(restored!)![1]);
    reportFigures(
      `edge down ${DOWN_S} s, Modbus mapper polling 5/s (${PER_POLL} readings each), mapper.bufferBytes ${BUFFER_BYTES}`,
      {
        pollsWhileDown,
        heldPollsSent: heldReadings / PER_POLL,
        droppedPolls: droppedBefore / PER_POLL,
        missingPolls: missing,
        duplicates: seen.length - unique.length,
      },
    );
    expect(seen.length - unique.length, 'no reading twice').toBe(0);
    expect(
      seen.every((v, i) => i === 0 || v > seen[i - 1]!),
      'in order',
    ).toBe(true);
    expect(droppedBefore).toBeGreaterThan(0); // the outage was longer than the bound holds
    expect(heldReadings).toBeGreaterThan(0);
    expect(missing).toBe(droppedBefore / PER_POLL); // nothing lost but what the bound made it drop
  }, 180_000);
});

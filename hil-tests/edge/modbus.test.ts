/**
 * The edge node with the Modbus mapper (hosted in the edge process, --mappers inprocess) against
 * the Modbus simulator: cleansed readings and twin documents come out; a desired coil value goes
 * out as a delta, the mapper writes it to the simulator, reads it back, and the twin confirms it;
 * the read-back enters the pipeline once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { edgeTopics, type RawReading, type WriteResult } from '../../src/contracts/index.js';
import { ModbusSim } from '../../mappers/modbus/sim/index.js';
import { TestClient } from '../support/mqtt-client.js';
import { startEdge, thermostat, thermostatModel, type RunningEdge } from './fixtures.js';

const ID = 'default/thermo-mb';

describe('edge node + Modbus mapper + Modbus simulator', () => {
  let edge: RunningEdge | undefined;
  let sim: ModbusSim | undefined;
  let client: TestClient | undefined;
  afterEach(async () => {
    await client?.close();
    await edge?.close();
    await sim?.stop();
    client = edge = sim = undefined;
  });

  it('sees cleansed readings and twin documents; a desired coil value reaches the simulator and is confirmed', async () => {
    sim = new ModbusSim({ units: [1] });
    const endpoint = await sim.listenTcp();
    sim.memory(1).writeRegisters('HoldingRegister', 0, [215]);
    edge = await startEdge({ mappers: 'inprocess', desiredTimeoutMs: 8000 });
    client = await TestClient.connect(edge.node.eventbus.url, [
      edgeTopics.dataCleansed(ID),
      edgeTopics.twinUpdateDocument(ID),
      edgeTopics.twinUpdateDelta(ID),
      edgeTopics.writeResult(ID),
    ]);
    const inputs: RawReading[] = [];
    edge.node.bus.subscribe(
      'device.readings',
      { name: 'count', group: 'test' },
      (e) => void inputs.push(...e.readings),
    );
    await edge.node.bus.request('meta.apply', {
      documents: [thermostatModel(), thermostat('thermo-mb', {}, endpoint.port)],
    });

    const cleansed = await client.waitFor<{ readings: Array<{ property: string; value: number; quality: string }> }>(
      edgeTopics.dataCleansed(ID),
      (p) => p.readings.some((r) => r.property === 'temperature'),
      15_000,
    );
    expect(cleansed.readings.find((r) => r.property === 'temperature')).toMatchObject({ value: 21.5, quality: 'good' });
    const doc = await client.waitFor<{ twin: Record<string, { current: { actual?: { value: string } } }> }>(
      edgeTopics.twinUpdateDocument(ID),
      (p) => p.twin.temperature !== undefined,
    );
    expect(doc.twin.temperature?.current.actual?.value).toBe('21.5');

    expect(sim.memory(1).readBits('CoilRegister', 0, 1)).toEqual([false]);
    const view = await edge.node.bus.request(
      'twin.setDesired',
      { deviceId: ID, properties: { relay: 'true' }, waitMs: 8000 },
      12_000,
    );
    expect((await client.waitFor<{ delta: Record<string, string> }>(edgeTopics.twinUpdateDelta(ID))).delta).toEqual({
      relay: 'true',
    });
    expect(sim.memory(1).readBits('CoilRegister', 0, 1)).toEqual([true]);
    // One write, one pipeline input for its read-back (the mapper's and the edge's paths sent it twice).
    const result = await client.waitFor<WriteResult>(edgeTopics.writeResult(ID));
    expect(result).toMatchObject({ property: 'relay', ok: true, readBack: { value: true } });
    expect(inputs.filter((r) => r.property === 'relay' && r.ts === result.readBack!.ts)).toHaveLength(1);
    expect(view.properties.relay?.pending).toBeUndefined();
    expect(view.properties.relay?.failed).toBeUndefined();
    expect(view.properties.relay?.reported?.value).toBe('true');
    const edged = await edge.node.bus.request('edged.status', {});
    expect(edged).toEqual([expect.objectContaining({ name: 'edge-hil-modbus', phase: 'Running', ready: true })]);
  });
});

/**
 * `kedge edge` as a real process, killed with SIGKILL at a random moment and started again on the
 * same data dir: the device set, the twin and the mappers come back, and no reading the broker
 * acknowledged (QoS 1 PUBACK) to the sender is lost. SIGTERM stops it cleanly with exit 0.
 */
import { inflateRawSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  columnReadings,
  edgeTopics,
  type MapperStatus,
  type TelemetryColumnsContent,
  type TwinView,
} from '../../src/contracts/index.js';
import { ModbusSim } from '../../mappers/modbus/sim/index.js';
import { freePort } from '../support/brokers.js';
import { spawnKedge, type KedgeProcess } from '../support/kedge-process.js';
import { mapperUrl } from '../../src/edge/testing/index.js';
import { TestClient } from '../support/mqtt-client.js';
import { NODE, thermostat, thermostatModel } from './fixtures.js';
import type { Device } from '../../src/model/index.js';

const entry = join(import.meta.dirname, 'cli-entry.ts');

interface Ports {
  mqtt: number;
  api: number;
  servicebus: number;
}

function startKedgeEdge(dataDir: string, ports: Ports, mappers: string): KedgeProcess {
  return spawnKedge(
    [
      'edge',
      '--node',
      NODE,
      '--data-dir',
      dataDir,
      '--mqtt-port',
      String(ports.mqtt),
      '--api-port',
      String(ports.api),
      '--mappers',
      mappers,
    ],
    {
      entry,
      // The twin journal with every commit (edge.twinJournalMs 0): the twin then keeps the last
      // acknowledged reading across a kill. The default's bound (10 s) is hil-tests/e2e/crash's.
      env: { KEDGE_EDGE__SERVICEBUS_PORT: String(ports.servicebus), KEDGE_EDGE__TWIN_JOURNAL_MS: '0' },
    },
  );
}

/** One request to the edge API; `T` is what the test expects the answer to be (docs/api.md). */
async function api<T = unknown>(port: number, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
  });
  return (await res.json()) as T;
}

/** Running (not gone, not a zombie waiting for a reaper that a container may not have). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Polls `check` every 5 ms; rejects with `why()` after `ms`. */
function waitUntil(check: () => boolean, ms: number, why: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      if (check()) {
        clearInterval(timer);
        resolve();
      } else if (Date.now() - started > ms) {
        clearInterval(timer);
        reject(new Error(`timed out after ${ms} ms: ${why()}`));
      }
    }, 5);
  });
}

describe('kedge edge restarts', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });

  it('kill -9 while readings stream in: device set, twin and every acknowledged reading survive; SIGTERM exits 0', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'kedge-edge-restart-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const ports = { mqtt: await freePort(), api: await freePort(), servicebus: await freePort() };
    let edge = startKedgeEdge(dataDir, ports, 'none');
    cleanups.push(() => edge.stop('SIGKILL'));
    await edge.waitForOutput(/edge node ready/, 60_000);
    await api(ports.api, 'POST', '/api/v1/apply', { documents: [thermostatModel(), thermostat('thermo-1')] });
    await api(ports.api, 'PUT', '/api/v1/twins/default/thermo-1/desired', { properties: { setpoint: '33' } });

    const mapper = await TestClient.connect(mapperUrl(`mqtt://127.0.0.1:${ports.mqtt}`, dataDir));
    // A mapper publishing QoS 1 readings with increasing values, up to 50 unacknowledged at a time
    // like the mapper SDK (which does not wait for one PUBACK before the next publish).
    const acked: number[] = [];
    let stop = false;
    const one = (i: number) => {
      const msg = {
        event_id: `e${i}`,
        timestamp: i,
        readings: [{ property: 'temperature', value: i / 10, quality: 'good', ts: Date.now() }],
      };
      return mapper.client.publishAsync(edgeTopics.dataRaw('default/thermo-1'), JSON.stringify(msg), { qos: 1 }).then(
        () => void acked.push(i),
        () => undefined,
      );
    };
    const sending = (async () => {
      const inflight = new Set<Promise<void>>();
      for (let i = 1; !stop && i < 1_000_000; i++) {
        const p: Promise<void> = one(i).finally(() => inflight.delete(p));
        inflight.add(p);
        if (inflight.size >= 50) await Promise.race(inflight);
      }
    })();
    // Killed at a random point of the stream, counted in acknowledged readings rather than in
    // milliseconds (a loaded machine may acknowledge few readings in a fixed time).
    // Values are i / 10 and the model rejects temperatures above 125, so the kill comes before
    // reading 1250 (at most 1,150 + 50 in flight): every acknowledged value is a valid reading.
    const killAt = 150 + Math.floor(Math.random() * 1000);
    await waitUntil(
      () => acked.length >= killAt,
      60_000,
      () => `only ${acked.length} of ${killAt} readings acknowledged`,
    );
    edge.child.kill('SIGKILL');
    await edge.exited;
    stop = true;
    // Nothing can be acknowledged once the broker (inside the edge) is dead.
    const ackedBeforeKill = [...acked];
    await mapper.client.endAsync(true);
    void sending;
    expect(ackedBeforeKill.length).toBeGreaterThan(100);
    const lastAcked = Math.max(...ackedBeforeKill);

    edge = startKedgeEdge(dataDir, ports, 'none');
    await edge.waitForOutput(/edge node ready/, 60_000);
    const devices = await api<{ items: Device[] }>(ports.api, 'GET', '/api/v1/devices');
    expect(devices.items.map((d) => d.metadata.name)).toEqual(['thermo-1']);
    const twin = await api<TwinView>(ports.api, 'GET', '/api/v1/twins/default/thermo-1');
    expect(Number(twin.properties.temperature?.reported?.value)).toBeGreaterThanOrEqual(lastAcked / 10);
    expect(twin.properties.setpoint).toMatchObject({ desired: { value: '33' } });

    expect(await edge.stop('SIGTERM')).toBe(0);
    // Every acknowledged reading is in the outbox for the cloud (reportToCloud), in order.
    const db = new Database(join(dataDir, 'edge.db'), { readonly: true });
    const rows = db.prepare("SELECT body FROM outbox WHERE kind = 'reading' ORDER BY id").all() as Array<{
      body: string | Buffer;
    }>;
    db.close();
    // Larger bodies are stored compressed (raw deflate).
    const json = (body: string | Buffer) => (typeof body === 'string' ? body : inflateRawSync(body).toString());
    const stored = rows.flatMap((r) =>
      (JSON.parse(json(r.body)) as { content: TelemetryColumnsContent }).content.devices.flatMap((d) =>
        columnReadings(d).map((x) => Math.round((x.value as number) * 10)),
      ),
    );
    const missing = ackedBeforeKill.filter((v) => !stored.includes(v));
    expect(missing).toEqual([]);
    expect(stored).toEqual([...stored].sort((a, b) => a - b));
  }, 180_000);

  it('kill -9 with a Modbus mapper child: the orphan mapper is replaced and readings flow again', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'kedge-edge-restart-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const sim = new ModbusSim({ units: [1] });
    const endpoint = await sim.listenTcp();
    cleanups.push(() => sim.stop());
    sim.memory(1).writeRegisters('HoldingRegister', 0, [215]);
    const ports = { mqtt: await freePort(), api: await freePort(), servicebus: await freePort() };
    let edge = startKedgeEdge(dataDir, ports, 'process');
    cleanups.push(() => edge.stop('SIGKILL'));
    await edge.waitForOutput(/edge node ready/, 60_000);
    await api(ports.api, 'POST', '/api/v1/apply', {
      documents: [thermostatModel(), thermostat('thermo-1', {}, endpoint.port)],
    });
    let client = await TestClient.connect(`mqtt://127.0.0.1:${ports.mqtt}`, [
      edgeTopics.mapperStatus(`${NODE}-modbus`),
      edgeTopics.dataCleansed('default/thermo-1'),
    ]);
    const first = await client.waitFor<MapperStatus>(
      edgeTopics.mapperStatus(`${NODE}-modbus`),
      (s) => s.state === 'online',
      30_000,
    );
    await client.waitFor(edgeTopics.dataCleansed('default/thermo-1'), () => true, 15_000);
    await client.close();

    edge.child.kill('SIGKILL');
    await edge.exited;
    expect(alive(first.pid!)).toBe(true);
    edge = startKedgeEdge(dataDir, ports, 'process');
    await edge.waitForOutput(/edge node ready/, 60_000);
    client = await TestClient.connect(`mqtt://127.0.0.1:${ports.mqtt}`, [
      edgeTopics.mapperStatus(`${NODE}-modbus`),
      edgeTopics.dataCleansed('default/thermo-1'),
    ]);
    cleanups.push(() => client.close());
    const second = await client.waitFor<MapperStatus>(
      edgeTopics.mapperStatus(`${NODE}-modbus`),
      (s) => s.state === 'online' && s.pid !== first.pid,
      30_000,
    );
    expect(second.pid).not.toBe(first.pid);
    expect(alive(first.pid!)).toBe(false);
    const reading = await client.waitFor<{ readings: Array<{ property: string; value: number }> }>(
      edgeTopics.dataCleansed('default/thermo-1'),
      (p) => p.readings.some((r) => r.property === 'temperature'),
      15_000,
    );
    expect(reading.readings.find((r) => r.property === 'temperature')?.value).toBe(21.5);
    expect(await edge.stop('SIGTERM')).toBe(0);
    expect(alive(second.pid!)).toBe(false);
  }, 180_000);
});

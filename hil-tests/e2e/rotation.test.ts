/**
 * Certificate rotation under load (issue 18): node certificates of 15 s, so a node renews about
 * every 10 s, while 1,000 readings/s flow. Every reading the edge acknowledged reaches the cloud
 * consumer exactly once, in order, across the renewals and the reconnects they cause.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeCounterDevices } from './harness/counter-devices.js';
import { runKedge } from './harness/kedge.js';
import { edgeSetup, startCloud, startEdge, tempDir, waitFor } from './harness/processes.js';
import { CloudSubscriber } from './harness/subscriber.js';
import { SyntheticMapper } from './harness/synthetic-mapper.js';

const DEVICES = 10;
const PROPS = ['a', 'b'];
const TICK_MS = 20; // 10 devices x 2 properties x 50 ticks/s = 1,000 readings/s
const RENEWALS = 2;

describe('certificate rotation under 1,000 readings/s', () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it(`renews ${RENEWALS} times with 0 readings lost or duplicated`, async () => {
    const dir = tempDir('kedge-e2e-rotation-');
    cleanups.push(() => dir.remove());
    const cloud = await startCloud(
      join(dir.path, 'cloud'),
      { KEDGE_CLOUD__PKI__NODE_CERT_TTL_MS: '15000' },
      { secure: true },
    );
    cleanups.push(() => cloud.proc.stop());
    const hub = `wss://127.0.0.1:${cloud.ports.hub}`;
    const token = (await runKedge(['token', 'create', '--server', cloud.api])).stdout.trim();
    const edgeDir = join(dir.path, 'edge');
    const joinArgs = ['--join-port', `${cloud.ports.join}`, '--token', token, '--node', 'rot-1', '--data-dir', edgeDir];
    const joined = await runKedge(['edge', 'join', '--cloud', hub, ...joinArgs]);
    expect(joined.stderr).toBe('');
    const sub = await CloudSubscriber.connect(cloud.ports.mqtt, ['kedge/telemetry/#']);
    cleanups.push(() => sub.close());
    const setup = await edgeSetup('rot-1', edgeDir, hub, 'none');
    const edge = await startEdge(setup);
    cleanups.push(() => edge.stop());
    const file = join(dir.path, 'counters.yaml');
    const devices = writeCounterDevices(file, setup.node, DEVICES);
    expect((await runKedge(['apply', '-f', file, '--server', cloud.api])).code).toBe(0);
    await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${setup.apiPort}/api/v1/devices`).catch(() => undefined);
        return ((await res?.json()) as { items?: unknown[] } | undefined)?.items?.length === DEVICES;
      },
      'the devices on the edge',
      30_000,
      [edge],
    );
    const mapper = new SyntheticMapper(devices, PROPS, setup);
    mapper.start(TICK_MS);
    cleanups.push(() => mapper.stop());
    const renewals = () => edge.output.match(/certificate of node rot-1 renewed/g)?.length ?? 0;
    // Readings were produced before, between and after the renewals (counts, not rates: a loaded
    // machine produces less than 1,000/s). The renewals counted are those after the first reading:
    // on a loaded machine the first renewal can come before the devices reached the edge.
    await waitFor(() => mapper.sentReadings > 0, 'the first readings', 30_000, [edge]);
    const before = renewals();
    const producedAt: number[] = [];
    for (let n = 1; n <= RENEWALS; n++) {
      await waitFor(() => renewals() >= before + n, `renewal ${n}`, 90_000, [edge, cloud.proc]);
      producedAt.push(mapper.sentReadings);
    }
    await new Promise((r) => setTimeout(r, 2000));
    await mapper.stop();

    const expected = mapper.ackedReadings;
    await waitFor(
      () => sub.telemetry.reduce((n, m) => n + m.readings.length, 0) >= expected,
      `${expected} readings at the consumer`,
      120_000,
      [edge, cloud.proc],
    );
    await new Promise((r) => setTimeout(r, 1000)); // a duplicate would arrive now
    expect(producedAt[0]).toBeGreaterThan(0);
    for (let i = 1; i < RENEWALS; i++) expect(producedAt[i]).toBeGreaterThan(producedAt[i - 1]!);
    expect(mapper.sentReadings).toBeGreaterThan(producedAt[RENEWALS - 1]!);
    for (const device of devices) {
      for (const prop of PROPS) {
        const seqs = sub.readings(device, prop).map((r) => r.value as number);
        const where = `${device} ${prop}`;
        expect(new Set(seqs).size, `${where}: no duplicates`).toBe(seqs.length);
        expect(
          seqs.every((s, i) => i === 0 || s > seqs[i - 1]!),
          `${where}: in order`,
        ).toBe(true);
        const got = new Set(seqs);
        const missing = [...mapper.acked.get(device)!].filter((s) => !got.has(s));
        expect(missing, `${where}: acknowledged readings missing at the consumer`).toEqual([]);
      }
    }
    expect(sub.telemetry.reduce((n, m) => n + m.readings.length, 0)).toBe(expected);
    // Each renewal reconnected with the new certificate, and the cloud refused none of them.
    expect((edge.output.match(/reconnecting: certificate renewed/g) ?? []).length).toBeGreaterThanOrEqual(RENEWALS);
    const metrics = await (await fetch(`${cloud.api}/metrics`)).text();
    expect(metrics).not.toMatch(/kedge_cloudhub_refused_connections_total\{/);
    expect(
      Number(/kedge_join_requests_total\{path="\/renew",outcome="ok"\} (\d+)/.exec(metrics)?.[1]),
    ).toBeGreaterThanOrEqual(RENEWALS);
  }, 300_000);
});

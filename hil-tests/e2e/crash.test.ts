/**
 * Issue 19's crash test: the edge killed -9 again and again under 1,000 readings/s while it is
 * connected to the cloud, restarted on the same data dir each time. The store's SD card savings
 * (acknowledged outbox entries deleted with a later commit, the twin journal coalesced) must not
 * cost a guarantee: every reading the edge acknowledged (PUBACK after its commit) reaches the
 * cloud consumer once, in order per device; and after a kill the twin's reported values are at
 * most edge.twinJournalMs older than the last reading acknowledged.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeCounterDevices } from './harness/counter-devices.js';
import { runKedge } from './harness/kedge.js';
import { edgeSetup, startCloud, startEdge, tempDir, waitFor, type KedgeProcess } from './harness/processes.js';
import { CloudSubscriber } from './harness/subscriber.js';
import { SyntheticMapper } from './harness/synthetic-mapper.js';

const DEVICES = 10;
const PROPS = ['a', 'b'];
const TICK_MS = 20; // 10 devices x 2 properties x 50 ticks/s = 1,000 readings/s
const KILLS = 4;
/** edge.twinJournalMs, set short here so that the bound is checked within the test. */
const JOURNAL_MS = 2000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('kill -9 of a connected edge under 1,000 readings/s', () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('loses no acknowledged reading, duplicates none, keeps order; the twin is at most twinJournalMs behind', async () => {
    const dir = tempDir('kedge-e2e-crash-');
    cleanups.push(() => dir.remove());
    const cloud = await startCloud(join(dir.path, 'cloud'));
    cleanups.push(() => cloud.proc.stop());
    const sub = await CloudSubscriber.connect(cloud.ports.mqtt, ['kedge/telemetry/#']);
    cleanups.push(() => sub.close());
    const setup = await edgeSetup('crash-node', join(dir.path, 'edge'), `ws://127.0.0.1:${cloud.ports.hub}`, 'none');
    const env = { KEDGE_EDGE__TWIN_JOURNAL_MS: `${JOURNAL_MS}` };
    let edge: KedgeProcess = await startEdge(setup, env);
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
    await waitFor(() => sub.telemetry.length > 0, 'telemetry at the cloud', 30_000, [edge, cloud.proc]);

    const first = devices[0]!;
    const reportedA = async (): Promise<number> => {
      const res = await fetch(`http://127.0.0.1:${setup.apiPort}/api/v1/twins/${first}`);
      const twin = (await res.json()) as { properties: Record<string, { reported?: { value: string } }> };
      return Number(twin.properties.a?.reported?.value);
    };
    // Kills at different points of the commit and acknowledgement cycle.
    for (let k = 0; k < KILLS; k++) {
      await sleep(1500 + k * 700);
      edge.child.kill('SIGKILL');
      const lastAcked = Math.max(...mapper.acked.get(first)!);
      await edge.stop();
      edge = await startEdge(setup, env);
      // The journal (every JOURNAL_MS, written with a commit at most a second later) kept a value
      // that recent; a tick is 20 ms at most (slower on a busy machine: fewer readings, not more).
      expect(await reportedA()).toBeGreaterThanOrEqual(lastAcked - (JOURNAL_MS + 1000) / TICK_MS);
      const acked = mapper.ackedReadings;
      await waitFor(() => mapper.ackedReadings > acked + 500, 'readings acknowledged again', 30_000, [edge]);
    }
    await sleep(2000);
    await mapper.stop();

    const expected = mapper.ackedReadings;
    await waitFor(
      () => sub.telemetry.reduce((n, m) => n + m.readings.length, 0) >= expected,
      `${expected} readings at the consumer`,
      120_000,
      [edge, cloud.proc],
    );
    await sleep(1000); // a duplicate would arrive now
    let total = 0;
    for (const device of devices) {
      for (const prop of PROPS) {
        const seqs = sub.readings(device, prop).map((r) => r.value as number);
        const where = `${device} ${prop}`;
        total += seqs.length;
        expect(new Set(seqs).size, `${where}: no duplicates`).toBe(seqs.length);
        const inversion = seqs.findIndex((s, i) => i > 0 && s <= seqs[i - 1]!);
        expect(
          inversion < 0 ? [] : seqs.slice(Math.max(0, inversion - 5), inversion + 5),
          `${where}: in order`,
        ).toEqual([]);
        const got = new Set(seqs);
        const missing = [...mapper.acked.get(device)!].filter((s) => !got.has(s));
        expect(missing, `${where}: acknowledged readings missing at the consumer`).toEqual([]);
        expect(
          seqs.filter((s) => !mapper.sent.get(device)!.has(s)),
          `${where}: readings never produced`,
        ).toEqual([]);
      }
    }
    expect(total).toBeGreaterThanOrEqual(expected);
    expect(total).toBeLessThanOrEqual(mapper.sentReadings);
    process.stdout.write(
      `[crash] kills=${KILLS} acknowledged=${expected} sent=${mapper.sentReadings} received=${total} duplicates=0 lost=0\n`,
    );

    // With the readings stopped for longer than JOURNAL_MS (and the second the twin's timer takes),
    // the journal holds the last one: a kill now loses nothing of the twin.
    const last = Math.max(...mapper.acked.get(first)!);
    await sleep(JOURNAL_MS + 1500);
    edge.child.kill('SIGKILL');
    await edge.stop();
    edge = await startEdge(setup, env);
    expect(await reportedA()).toBe(last);
  }, 300_000);
});

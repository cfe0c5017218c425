import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startCloud, tempDir, waitFor } from '../e2e/harness/processes.js';
import { startMosquitto } from '../support/brokers.js';
import { reportFigures } from './harness/report.js';

/** The consumers' outage signal: `kedge/status/cloud`, the cloud's last will on an external broker. */
describe('the cloud status topic', () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('says online while the cloud runs and offline (its last will) once it is killed -9', async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.close());
    const dir = tempDir('kedge-faults-status-');
    cleanups.push(() => dir.remove());
    const sub = await connectAsync(broker.url, { reconnectPeriod: 0 });
    cleanups.push(() => sub.endAsync(true));
    const states: Array<{ state: string; at: number }> = [];
    sub.on('message', (_t, p) =>
      states.push({ state: (JSON.parse(p.toString()) as { state: string }).state, at: Date.now() }),
    );
    await sub.subscribeAsync('kedge/status/cloud', { qos: 1 });

    let cloud = await startCloud(join(dir.path, 'cloud'), { KEDGE_CLOUD__MQTT__URL: broker.url });
    cleanups.push(() => cloud.proc.stop());
    await waitFor(() => states.at(-1)?.state === 'online', 'online', 30_000, [cloud.proc]);
    const killedAt = Date.now();
    cloud.proc.child.kill('SIGKILL');
    await cloud.proc.stop();
    await waitFor(() => states.at(-1)?.state === 'offline', 'the last will', 30_000);
    const willAfterMs = states.at(-1)!.at - killedAt;
    // A consumer that subscribes now gets it too: retained.
    const late = await connectAsync(broker.url, { reconnectPeriod: 0 });
    cleanups.push(() => late.endAsync(true));
    const retained: string[] = [];
    late.on('message', (_t, p) => retained.push((JSON.parse(p.toString()) as { state: string }).state));
    await late.subscribeAsync('kedge/status/cloud', { qos: 1 });
    await waitFor(() => retained.length > 0, 'the retained status');
    expect(retained).toEqual(['offline']);
    cloud = await startCloud(join(dir.path, 'cloud'), { KEDGE_CLOUD__MQTT__URL: broker.url }, cloud.ports);
    await waitFor(() => states.at(-1)?.state === 'online', 'online again', 30_000, [cloud.proc]);
    reportFigures('cloud last will (external Mosquitto)', { msFromKillToOfflineAtConsumer: willAfterMs });
  });
});

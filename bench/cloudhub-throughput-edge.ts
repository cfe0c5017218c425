/**
 * The edge and the consumer of bench/cloudhub-throughput.bench.ts, in their own process: one
 * WebSocket sending telemetry (column-wise, as EdgeHub does) with a window of unacknowledged messages (as EdgeHub does), and an
 * MQTT subscriber on the cloud broker counting what consumers receive.
 *
 *   node --import tsx bench/cloudhub-throughput-edge.ts <hubPort> <mqttPort> <seconds> <devices> <readingsPerMessage> <window>
 */
import mqtt from 'mqtt';
import { WebSocket } from 'ws';
import { DeviceColumnsBuilder } from '../src/contracts/index.js';
import { newMessage, parseMessage, serializeMessage } from '../src/core/message/index.js';

const [hubPort, mqttPort, seconds, devices, perMessage, window] = process.argv.slice(2).map(Number) as [
  number,
  number,
  number,
  number,
  number,
  number,
];
const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { protocolVersion: 4 });
let received = 0;
let receivedReadings = 0;
const seen = new Map<string, number>();
let outOfOrder = 0;
sub.on('message', (_t, payload) => {
  const body = JSON.parse(payload.toString()) as { device: string; readings: Array<{ value: number }> };
  received++;
  receivedReadings += body.readings.length;
  const first = body.readings[0]!.value;
  if ((seen.get(body.device) ?? -1) >= first) outOfOrder++;
  seen.set(body.device, first);
});
await sub.subscribeAsync('kedge/telemetry/#', { qos: 1 });

const ws = new WebSocket(`ws://127.0.0.1:${hubPort}/kedge/bench-edge/events`, { perMessageDeflate: false });
await new Promise((r) => ws.once('open', r));
let inflight = 0;
let sent = 0;
let acked = 0;
const seq = new Array<number>(devices).fill(0);
let stopAt = 0;
function pump(): void {
  while (inflight < window && Date.now() < stopAt) {
    const d = sent % devices;
    const columns = new DeviceColumnsBuilder(`default/dev-${d}`);
    const ts = Date.now();
    for (let i = 0; i < perMessage; i++) columns.add('p', seq[d]!++, 'good', ts);
    ws.send(
      serializeMessage(
        newMessage(
          {
            source: 'edgehub',
            group: 'hub',
            operation: 'upload',
            resource: `node/bench-edge/default/telemetrycolumns/dev-${d}`,
          },
          { devices: [columns.columns] },
        ),
      ),
    );
    inflight++;
    sent++;
  }
}
ws.on('message', (data) => {
  const parsed = parseMessage(data as Buffer);
  if (!parsed.ok || parsed.message.route.operation !== 'response') return;
  if (parsed.message.route.resource?.includes('/telemetrycolumns/')) {
    inflight--;
    acked++;
    pump();
  }
});
process.send?.({ type: 'ready' });
process.on('message', async (m: { type: string }) => {
  if (m.type !== 'go') return;
  stopAt = Date.now() + seconds * 1000;
  const started = Date.now();
  pump();
  while (Date.now() < stopAt || inflight > 0) await new Promise((r) => setTimeout(r, 50));
  const elapsed = (Date.now() - started) / 1000;
  await new Promise((r) => setTimeout(r, 500));
  process.send?.({ type: 'done', sent, acked, received, receivedReadings, outOfOrder, elapsed });
  ws.terminate();
  await sub.endAsync();
  process.exit(0);
});

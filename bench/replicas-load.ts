/**
 * The edge nodes and the consumer of bench/replicas.bench.ts `cpu`, in their own process: N nodes,
 * node i connected to replica i mod R, each sending every 50 ms one `telemetrycolumns` message with
 * K readings per device (as EdgeHub batches), at most 256 unacknowledged per node; an MQTT
 * subscriber counts what consumers receive and the duplicates among it.
 *
 *   node --import tsx bench/replicas-load.ts <hubPorts,comma> <mqttPort> <nodes> <devicesPerNode> <readingsPerDevice> <seconds>
 */
import mqtt from 'mqtt';
import { WebSocket } from 'ws';
import { DeviceColumnsBuilder } from '../src/contracts/index.js';
import { newMessage, parseMessage, serializeMessage } from '../src/core/message/index.js';

const [portsArg, ...numArgs] = process.argv.slice(2);
const hubPorts = portsArg!.split(',').map(Number);
const [mqttPort, nodes, devices, perDevice, seconds] = numArgs.map(Number) as [number, number, number, number, number];
const TICK_MS = 50;

const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { protocolVersion: 4 });
let receivedReadings = 0;
let duplicates = 0;
const seen = new Set<string>();
sub.on('message', (_t, payload) => {
  const body = JSON.parse(payload.toString()) as { device: string; readings: Array<{ value: number }> };
  for (const r of body.readings) {
    const key = `${body.device}/${r.value}`;
    if (seen.has(key)) duplicates++;
    seen.add(key);
    receivedReadings++;
  }
});
await sub.subscribeAsync('kedge/telemetry/#', { qos: 2 });

interface Node {
  name: string;
  ws: WebSocket;
  inflight: number;
  seq: number;
}
let sent = 0;
let acked = 0;
let skipped = 0;
const all: Node[] = [];
for (let i = 0; i < nodes; i++) {
  const name = `load-${i}`;
  const ws = new WebSocket(`ws://127.0.0.1:${hubPorts[i % hubPorts.length]}/kedge/${name}/events`, {
    perMessageDeflate: false,
  });
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  const node: Node = { name, ws, inflight: 0, seq: 0 };
  ws.on('message', (data) => {
    const parsed = parseMessage(data as Buffer);
    if (!parsed.ok || parsed.message.route.operation !== 'response') return;
    node.inflight--;
    acked += devices * perDevice;
  });
  all.push(node);
}

function tick(): void {
  const ts = Date.now();
  for (const n of all) {
    if (n.inflight >= 256) {
      skipped += devices * perDevice;
      continue;
    }
    const first = n.seq;
    n.seq += perDevice;
    const content = {
      devices: Array.from({ length: devices }, (_, d) => {
        const columns = new DeviceColumnsBuilder(`default/${n.name}-dev-${d}`);
        for (let k = 0; k < perDevice; k++) columns.add('p', first + k, 'good', ts);
        return columns.columns;
      }),
    };
    const route = {
      source: 'edgehub',
      group: 'hub',
      operation: 'upload',
      resource: `node/${n.name}/default/telemetrycolumns/${n.name}`,
    };
    n.ws.send(serializeMessage(newMessage(route, content)));
    n.inflight++;
    sent += devices * perDevice;
  }
}

process.send?.({ type: 'ready' });
setInterval(() => process.send?.({ type: 'progress', acked }), 1000).unref();
process.on('message', async (m: { type: string }) => {
  if (m.type === 'go') {
    const timer = setInterval(tick, TICK_MS);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    clearInterval(timer);
    const end = Date.now() + 15_000;
    while (all.some((n) => n.inflight > 0) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 1000));
    process.send?.({ type: 'done', sent, acked, skipped, receivedReadings, duplicates });
    for (const n of all) n.ws.terminate();
    await sub.endAsync();
    process.exit(0);
  }
});

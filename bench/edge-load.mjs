// Load generator for bench/edge-ingest.bench.ts, run as its own process so that the edge node's
// process is measured alone: publishes kedge mapper data/raw messages (one per device poll,
// `props` readings each) with a window of unacknowledged QoS 1 messages, and counts the cleansed
// readings the edge publishes back (and, with dataUpdate 1, the DeviceData it republishes on
// KubeEdge's data/update).
//   node bench/edge-load.mjs <url> <firstDevice> <devices> <props> <seconds> <qos> <window> [dataUpdate]
import mqtt from 'mqtt';

const [url, first, count, props, seconds, qos, windowSize, dataUpdate] = process.argv.slice(2);
const client = await mqtt.connectAsync(url, { protocolVersion: 4, clean: true, reconnectPeriod: 0 });
let cleansedReadings = 0;
let dataUpdateReadings = 0;
client.on('message', (topic, payload) => {
  const message = JSON.parse(payload.toString());
  if (topic.endsWith('/data/update')) dataUpdateReadings += Object.keys(message.data).length;
  else cleansedReadings += message.readings.length;
});
const devices = Array.from({ length: Number(count) }, (_, i) => `default/dev-${Number(first) + i}`);
for (const id of devices) await client.subscribeAsync(`$ke/events/device/${id}/data/cleansed`, { qos: 0 });
if (dataUpdate === '1')
  for (const id of devices) await client.subscribeAsync(`$ke/events/device/${id}/data/update`, { qos: 0 });
const deadline = Date.now() + Number(seconds) * 1000;
let sent = 0;
let acked = 0;
let seq = 0;
const one = () => {
  const id = devices[seq % devices.length];
  seq++;
  const ts = Date.now();
  const readings = [];
  for (let p = 0; p < Number(props); p++)
    readings.push({ property: `p${p}`, value: 20 + Math.sin(seq / 50 + p) * 5, quality: 'good', ts });
  sent += readings.length;
  return client
    .publishAsync(
      `$ke/events/device/${id}/data/raw`,
      JSON.stringify({ event_id: `e${seq}`, timestamp: ts, readings }),
      { qos: Number(qos) },
    )
    .then(() => {
      acked += readings.length;
    });
};
const inflight = new Set();
while (Date.now() < deadline) {
  while (inflight.size < Number(windowSize)) {
    const p = one().finally(() => inflight.delete(p));
    inflight.add(p);
  }
  await Promise.race(inflight);
}
await Promise.all(inflight);
await new Promise((r) => setTimeout(r, 500));
process.stdout.write(`${JSON.stringify({ sent, acked, cleansedReadings, dataUpdateReadings })}\n`);
await client.endAsync();

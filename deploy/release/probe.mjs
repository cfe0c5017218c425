#!/usr/bin/env node
// Helpers for deploy/test-release-arm.sh, run with the host's Node from the repository.
//   probe.mjs health <url> <timeoutMs> [pid]                 waits until GET <url> answers 200 (fails
//     at once when process <pid>, the server, is gone)
//   probe.mjs readings <mqttUrl> <ns/name> <count> <timeoutMs> waits for <count> cleansed messages
//     of the device on the edge's broker, at least one reading good; prints a JSON summary
import mqtt from 'mqtt';

const [cmd, ...args] = process.argv.slice(2);
const fail = (msg) => {
  console.error(`probe ${cmd}: ${msg}`);
  process.exit(1);
};

if (cmd === 'health') {
  const [url, timeoutMs, pid] = args;
  const deadline = Date.now() + Number(timeoutMs);
  for (;;) {
    try {
      if ((await fetch(url)).ok) process.exit(0);
    } catch {}
    if (pid) {
      try {
        process.kill(Number(pid), 0);
      } catch {
        fail(`process ${pid} exited before ${url} answered`);
      }
    }
    if (Date.now() > deadline) fail(`${url} did not answer 200 within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
} else if (cmd === 'readings') {
  const [url, device, count, timeoutMs] = args;
  const topic = `$ke/events/device/${device}/data/cleansed`;
  const t0 = Date.now();
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, connectTimeout: 10_000 });
  await client.subscribeAsync(topic, { qos: 1 });
  const got = [];
  let firstMs;
  const timer = setTimeout(() => fail(`${got.length} of ${count} messages on ${topic} within ${timeoutMs} ms`), Number(timeoutMs));
  let done = false;
  client.on('message', (_t, payload) => {
    if (done) return;
    const m = JSON.parse(payload.toString('utf8'));
    firstMs ??= Date.now() - t0;
    got.push(m);
    if (got.length < Number(count)) return;
    done = true;
    clearTimeout(timer);
    const readings = got.flatMap((g) => g.readings ?? []);
    const good = readings.filter((r) => r.quality === 'good');
    console.log(JSON.stringify({
      messages: got.length,
      readings: readings.length,
      good: good.length,
      properties: [...new Set(readings.map((r) => r.property))].length,
      firstMessageMs: firstMs,
      sample: good.slice(0, 3),
    }));
    client.end(true, () => process.exit(good.length > 0 ? 0 : 1));
  });
} else {
  fail('usage: probe.mjs health <url> <timeoutMs> | readings <mqttUrl> <ns/name> <count> <timeoutMs>');
}

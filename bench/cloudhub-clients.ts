/**
 * The simulated edge nodes of bench/cloudhub.bench.ts, in their own process so their CPU and
 * memory are not counted as the cloud's. Opens N WebSockets (in batches), sends a keepalive per
 * node every interval (phases spread evenly), answers every downstream message with an ack, and
 * reports counts to the parent over IPC.
 *
 *   node --import tsx bench/cloudhub-clients.ts <port> <count> <heartbeatMs>
 */
import { WebSocket } from 'ws';
import { buildResponse, newMessage, parseMessage, serializeMessage } from '../src/core/message/index.js';

const [port, count, heartbeatMs] = process.argv.slice(2).map(Number) as [number, number, number];
let open = 0;
let closed = 0;
let errors = 0;
let heartbeats = 0;
let downstream = 0;
const sockets: WebSocket[] = [];

function connect(i: number): Promise<void> {
  const node = `bench-${i}`;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/kedge/${node}/events`, { perMessageDeflate: false });
  sockets.push(ws);
  ws.on('message', (data) => {
    const parsed = parseMessage(data as Buffer);
    if (!parsed.ok || parsed.message.route.operation === 'response') return;
    downstream++;
    ws.send(serializeMessage(buildResponse(parsed.message, 'metamanager', { ok: true })));
  });
  ws.on('close', () => closed++);
  ws.on('error', () => errors++);
  return new Promise((resolve) => {
    ws.once('open', () => {
      open++;
      // Spread the keepalives over the interval, as real nodes started at different times would.
      const phase = Math.floor((i / count) * heartbeatMs);
      setTimeout(() => {
        const beat = () => {
          if (ws.readyState !== WebSocket.OPEN) return;
          ws.send(
            serializeMessage(
              newMessage({ source: 'edgehub', group: 'hub', operation: 'keepalive', resource: `node/${node}` }, 'ping'),
            ),
          );
          heartbeats++;
        };
        beat();
        setInterval(beat, heartbeatMs);
      }, phase);
      resolve();
    });
    ws.once('error', () => resolve());
  });
}

for (let i = 0; i < count; i += 250) {
  await Promise.all(Array.from({ length: Math.min(250, count - i) }, (_, k) => connect(i + k)));
}
process.send?.({ type: 'connected', open, errors });
setInterval(() => process.send?.({ type: 'stats', open, closed, errors, heartbeats, downstream }), 1000);
process.on('message', (m: { type: string }) => {
  if (m.type === 'stop') {
    for (const ws of sockets) ws.terminate();
    process.exit(0);
  }
});

import type { Dashboard } from './dashboard.js';
import { parseTelemetry, TelemetryView } from './telemetry-view.js';

export interface Consumer {
  /** Plain lines as readings arrive (where the screen cannot be redrawn in place). */
  onLines?: (lines: string[]) => void;
  close(): Promise<void>;
}

/**
 * The demo as a cloud consumer: subscribes to the topics any consumer reads (`kedge/telemetry/#`,
 * `kedge/status/device/#`, `kedge/twin/#`) on the cloud broker and feeds what arrives to the
 * counts (`view`) and the screen's state (`dashboard`).
 */
export async function consume(
  mqttPort: number,
  view: TelemetryView,
  dashboard: Dashboard,
  onLines?: (lines: string[]) => void,
): Promise<Consumer> {
  const { connectAsync } = await import('mqtt');
  const client = await connectAsync(`mqtt://127.0.0.1:${mqttPort}`, {
    clientId: `kedge-demo-${process.pid}`,
    reconnectPeriod: 1000,
  });
  client.on('message', (topic, payload) => {
    const now = Date.now();
    if (topic.startsWith('kedge/telemetry/')) {
      const msg = parseTelemetry(payload);
      if (!msg) {
        view.malformed++;
        return;
      }
      view.add(msg, now);
      dashboard.telemetry(msg, now);
      onLines?.(TelemetryView.lines(msg));
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(payload.toString());
    } catch {
      return; // not ours to judge: the demo shows what it understands
    }
    if (topic.startsWith('kedge/status/device/')) dashboard.status(json);
    else if (topic.startsWith('kedge/twin/')) dashboard.twin(json, now);
  });
  await client.subscribeAsync(['kedge/telemetry/#', 'kedge/status/device/#', 'kedge/twin/#'], { qos: 1 });
  return { close: () => client.endAsync() };
}

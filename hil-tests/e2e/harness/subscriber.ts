import { connectAsync, type MqttClient } from 'mqtt';
import type { TelemetryPayload } from '../../../src/contracts/index.js';
import { parseTelemetry } from '../../../src/demo/telemetry-view.js';

/** A consumer on the cloud broker: every telemetry message and the latest payload per topic. */
export class CloudSubscriber {
  readonly telemetry: Array<TelemetryPayload & { received: number }> = [];
  readonly latest = new Map<string, unknown>();
  malformed = 0;

  private constructor(private readonly client: MqttClient) {
    client.on('message', (topic, payload) => {
      if (topic.startsWith('kedge/telemetry/')) {
        const msg = parseTelemetry(payload);
        if (msg) this.telemetry.push({ ...msg, received: Date.now() });
        else this.malformed++;
      }
      try {
        this.latest.set(topic, JSON.parse(payload.toString()));
      } catch {
        this.latest.set(topic, payload.toString());
      }
    });
  }

  static async connect(port: number, filters = ['kedge/#']): Promise<CloudSubscriber> {
    const client = await connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 500, clean: true });
    const sub = new CloudSubscriber(client);
    await client.subscribeAsync(filters, { qos: 1 });
    return sub;
  }

  readings(device: string, property?: string) {
    return this.telemetry
      .filter((m) => `${m.namespace}/${m.device}` === device)
      .flatMap((m) => m.readings.filter((r) => property === undefined || r.property === property));
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

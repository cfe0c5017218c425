/** An MQTT test client that records every message per topic and waits for one that matches. */
import mqtt, { type MqttClient } from 'mqtt';

export interface Received {
  topic: string;
  payload: Buffer;
  retain: boolean;
  json(): unknown;
}

export class TestClient {
  private readonly byTopic = new Map<string, Received[]>();
  private readonly waiters = new Set<() => void>();

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      const list = this.byTopic.get(topic) ?? [];
      list.push({ topic, payload, retain: packet.retain, json: () => JSON.parse(payload.toString('utf8')) as unknown });
      this.byTopic.set(topic, list);
      for (const w of [...this.waiters]) w();
    });
  }

  static async connect(url: string, subscriptions: string[] = []): Promise<TestClient> {
    const client = await mqtt.connectAsync(url, {
      protocolVersion: 4,
      reconnectPeriod: 200,
      connectTimeout: 5000,
      clean: true,
    });
    const test = new TestClient(client);
    if (subscriptions.length > 0) await client.subscribeAsync(subscriptions, { qos: 1 });
    return test;
  }

  subscribe(filters: string[]): Promise<unknown> {
    return this.client.subscribeAsync(filters, { qos: 1 });
  }

  async publish(topic: string, payload: unknown, options: { retain?: boolean } = {}): Promise<void> {
    const body = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
    await this.client.publishAsync(topic, body, { qos: 1, retain: options.retain ?? false });
  }

  messages(topic: string): Received[] {
    return this.byTopic.get(topic) ?? [];
  }

  /** JSON payloads received on `topic`, oldest first. */
  payloads<T = Record<string, unknown>>(topic: string): T[] {
    return this.messages(topic).map((m) => m.json() as T);
  }

  clear(topic?: string): void {
    if (topic === undefined) this.byTopic.clear();
    else this.byTopic.delete(topic);
  }

  /** Resolves with the first message on `topic` (already received or arriving) that satisfies `predicate`. */
  waitFor<T = Record<string, unknown>>(
    topic: string,
    predicate: (payload: T) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        for (const m of this.messages(topic)) {
          let value: T;
          try {
            value = m.json() as T;
          } catch {
            continue;
          }
          if (predicate(value)) {
            done();
            resolve(value);
            return;
          }
        }
      };
      const timer = setTimeout(() => {
        done();
        const last = this.messages(topic)
          .slice(-3)
          .map((m) => m.payload.toString('utf8'));
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting on ${topic}; last messages: ${last.join(' | ') || '(none)'}`,
          ),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  close(): Promise<void> {
    return this.client.endAsync(true);
  }
}

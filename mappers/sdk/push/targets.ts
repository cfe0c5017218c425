import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { MqttClient } from 'mqtt';

/** Where pushed readings go: one per broker address or HTTP URL, shared by the properties that name it. */
export interface PushTarget {
  send(payload: string, options: { topic?: string; qos?: 0 | 1 | 2; retain?: boolean }): Promise<void>;
  close(): Promise<void>;
}

/** The default bound of an HTTP push when the Device gives no timeout (KubeEdge's template has none). */
export const HTTP_PUSH_TIMEOUT_MS = 5000;

/** POSTs a form body; a status of 400 or more is a failure with the status line. */
export class HttpPushTarget implements PushTarget {
  constructor(
    private readonly url: URL,
    private readonly timeoutMs: number,
  ) {}

  send(payload: string): Promise<void> {
    const request = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(
        this.url,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': Buffer.byteLength(payload),
          },
          timeout: this.timeoutMs,
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            (res.statusCode ?? 0) >= 400
              ? reject(new Error(`${this.url.href} answered ${res.statusCode} ${res.statusMessage ?? ''}`.trim()))
              : resolve(),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${this.url.href} did not answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  async close(): Promise<void> {}
}

/**
 * One MQTT connection per broker address, kept open (KubeEdge's template connects for every
 * push). While the broker is away a push fails at once instead of queueing without bound.
 */
export class MqttPushTarget implements PushTarget {
  private client: Promise<MqttClient> | undefined;

  constructor(
    private readonly address: string,
    private readonly clientId: string,
  ) {}

  async send(payload: string, options: { topic?: string; qos?: 0 | 1 | 2; retain?: boolean }): Promise<void> {
    const client = await this.connect();
    if (!client.connected) throw new Error(`broker ${this.address} is not connected`);
    await client.publishAsync(options.topic ?? '', payload, { qos: options.qos ?? 0, retain: options.retain ?? false });
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await (await client).endAsync(true);
  }

  private connect(): Promise<MqttClient> {
    // mqtt.js costs ~20 MB of RSS: loaded only when a property pushes over MQTT.
    this.client ??= import('mqtt').then(({ default: mqtt }) => {
      const client = mqtt.connect(this.address, {
        clientId: this.clientId,
        clean: true,
        reconnectPeriod: 1000,
        connectTimeout: 5000,
        queueQoSZero: false,
      });
      client.on('error', () => {}); // reported per push (not connected); mqtt.js reconnects
      return new Promise<MqttClient>((resolve) => {
        const settle = () => resolve(client);
        client.once('connect', settle);
        // The first push may wait this long for the connection; later ones fail at once while it is down.
        setTimeout(settle, 5000).unref();
      });
    });
    return this.client;
  }
}

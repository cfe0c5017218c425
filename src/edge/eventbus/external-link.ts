import { connectAsync, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { errorText } from '../../core/errors/index.js';
import { eventbusErrors } from './errors.js';
import type { BrokerLink, Ingest } from './link.js';
import { ingressFilters, isIngressTopic } from './topics.js';

/**
 * An external broker (e.g. Mosquitto) through one mqtt.js client (MQTT 3.1.1). The client keeps a
 * persistent session (fixed client id, clean=false) and subscribes with QoS 1; it PUBACKs each
 * message to the broker only after its writes are committed (mqtt.js `customHandleAcks`), so after
 * a crash the broker redelivers what was not committed. The mapper's own PUBACK comes from the
 * broker, which holds the message in memory (or its own persistence) until then.
 */
export class ExternalBrokerLink implements BrokerLink {
  private client: MqttClient | undefined;

  constructor(private readonly options: { url: string; clientId: string; logger: Logger }) {}

  get url(): string {
    return this.options.url;
  }

  async start(ingest: Ingest): Promise<void> {
    const logger = this.options.logger;
    let client: MqttClient;
    try {
      client = await connectAsync(this.options.url, {
        protocolVersion: 4,
        clientId: this.options.clientId,
        clean: false,
        reconnectPeriod: 1000,
        connectTimeout: 10_000,
        customHandleAcks: (topic, message, _packet, done) => {
          let wait: Promise<void> | undefined;
          try {
            wait = isIngressTopic(topic) ? ingest(topic, message) : undefined;
          } catch (err) {
            logger.error({ topic, err: errorText(err) }, 'ingress handler failed');
          }
          if (!wait) return done(0);
          wait.then(
            () => done(0),
            (err: unknown) => done(err instanceof Error ? err : new Error(errorText(err))),
          );
        },
      });
    } catch (err) {
      throw eventbusErrors.create('KEDGE_EVENTBUS_CONNECT', `cannot connect to ${this.options.url}: ${errorText(err)}`, { cause: err });
    }
    client.on('error', (err) => logger.warn({ err: err.message }, 'mqtt client error'));
    client.on('offline', () => logger.warn({ url: this.options.url }, 'external broker unreachable; reconnecting'));
    // customHandleAcks sees QoS 1/2 only; QoS 0 arrives as a plain message.
    client.on('message', (topic, message, packet) => {
      if (packet.qos === 0 && isIngressTopic(topic)) ingest(topic, message);
    });
    await client.subscribeAsync(Object.fromEntries(ingressFilters.map((f) => [f, { qos: 1 as const }])));
    this.client = client;
  }

  publish(topic: string, payload: Buffer | string, options: { retain: boolean; qos: 0 | 1 }): void {
    this.client?.publish(topic, payload, { qos: options.qos, retain: options.retain }, (err) => {
      if (err) this.options.logger.warn({ topic, err: err.message }, 'publish failed');
    });
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.endAsync();
  }
}

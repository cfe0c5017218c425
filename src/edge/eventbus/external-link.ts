import { connectAsync, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { errorText } from '../../core/errors/index.js';
import { eventbusErrors } from './errors.js';
import type { BrokerLink, Ingest } from './link.js';
import { ingressFilters, isIngressTopic } from './topics.js';

/**
 * An external broker (e.g. Mosquitto) through one mqtt.js client. The client keeps a persistent
 * session (fixed client id, clean=false, 1-day expiry) and subscribes with QoS 1; it PUBACKs each
 * message to the broker only after its writes are committed (mqtt.js `customHandleAcks`, which
 * mqtt.js offers with MQTT 5 only; hence MQTT 5 here, 3.1.1 as a fallback without that
 * guarantee), so after a crash the broker redelivers what was not committed. The mapper's own
 * PUBACK comes from the broker, which holds the message in memory (or its persistence) until then.
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
      client = await this.connect(5, ingest).catch(async (err: unknown) => {
        // A 3.1.1-only broker: no acknowledgement after commit is possible with mqtt.js there.
        logger.warn(
          { url: this.options.url, err: errorText(err) },
          'broker refused MQTT 5; using 3.1.1, messages are acknowledged on receipt',
        );
        return this.connect(4, ingest);
      });
    } catch (err) {
      throw eventbusErrors.create(
        'KEDGE_EVENTBUS_CONNECT',
        `cannot connect to ${this.options.url}: ${errorText(err)}`,
        { cause: err },
      );
    }
    client.on('error', (err) => logger.warn({ err: err.message }, 'mqtt client error'));
    client.on('offline', () => logger.warn({ url: this.options.url }, 'external broker unreachable; reconnecting'));
    // customHandleAcks sees QoS 1/2 (MQTT 5 only); everything else arrives as a plain message.
    const acked = client.options.protocolVersion === 5;
    client.on('message', (topic, message, packet) => {
      if ((packet.qos === 0 || !acked) && isIngressTopic(topic)) ingest(topic, message);
    });
    // No local (MQTT 5): what the edge publishes on a topic it also reads (data/update) is not sent back.
    const options = acked ? { qos: 1 as const, nl: true } : { qos: 1 as const };
    await client.subscribeAsync(Object.fromEntries(ingressFilters.map((f) => [f, options])));
    this.client = client;
  }

  private connect(protocolVersion: 4 | 5, ingest: Ingest): Promise<MqttClient> {
    const logger = this.options.logger;
    return connectAsync(
      this.options.url,
      {
        protocolVersion,
        clientId: this.options.clientId,
        clean: false,
        reconnectPeriod: 1000,
        connectTimeout: 10_000,
        // MQTT 5 ends a session at disconnect unless it has an expiry: keep it a day.
        ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 86_400 } } : {}),
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
            (err: unknown) => {
              // Not acknowledged; the broker redelivers unacknowledged messages only on a new
              // connection (like the embedded broker's gate closing the mapper's).
              done(err instanceof Error ? err : new Error(errorText(err)));
              this.client?.stream.destroy();
            },
          );
        },
      },
      false,
    );
  }

  publish(topic: string, payload: Buffer | string, options: { retain: boolean; qos: 0 | 1 }): void {
    this.client?.publish(topic, payload, { qos: options.qos, retain: options.retain }, (err) => {
      if (err) this.options.logger.warn({ topic, err: err.message }, 'publish failed');
    });
  }

  wants(): boolean {
    return true;
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.endAsync();
  }
}

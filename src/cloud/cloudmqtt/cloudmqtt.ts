import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { cloudTopics, type CloudChannels, type CloudMqttPublish, type CloudRequests } from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import { errorText } from '../../core/errors/index.js';
import type { Module } from '../../core/module/index.js';
import { connectExternalBroker, startEmbeddedBroker, type CloudBroker } from './broker.js';
import { cloudMqttErrors } from './errors.js';

export interface CloudMqttOptions {
  bus: Bus<CloudChannels, CloudRequests>;
  logger: Logger;
  registry: Registry;
  /** External broker (`mqtt://host:1883`); without it an embedded aedes broker is started. */
  url?: string;
  /** Embedded broker address (config cloud.mqtt.host: 127.0.0.1; 0.0.0.0 lets other machines subscribe). */
  host: string;
  /** Embedded broker port (cloud.mqtt.port; 0 picks a free one). */
  port: number;
  connectTimeoutMs?: number;
}

/** The consumers' broker: serves `cloudmqtt.publish`, resolving once the broker has the message. */
export class CloudMqtt implements Module {
  readonly name = 'cloudmqtt';
  readonly group = 'cloudmqtt';
  private broker: CloudBroker | undefined;
  private unserve: (() => void) | undefined;
  private readonly log: Logger;
  private metrics: { published: Counter; failed: Counter } | undefined;

  constructor(private readonly options: CloudMqttOptions) {
    this.log = options.logger.child({ module: 'cloudmqtt' });
  }

  get port(): number | undefined {
    return this.broker?.port;
  }

  async start(): Promise<void> {
    const o = this.options;
    this.metrics ??= {
      published: new Counter({
        name: 'kedge_cloudmqtt_published_total',
        help: 'Messages handed to the cloud MQTT broker',
        registers: [o.registry],
      }),
      failed: new Counter({
        name: 'kedge_cloudmqtt_publish_failures_total',
        help: 'Publishes the cloud MQTT broker did not take',
        registers: [o.registry],
      }),
    };
    if (o.url) {
      this.broker = await connectExternalBroker(
        o.url,
        `kedge-cloud-${randomBytes(4).toString('hex')}`,
        o.connectTimeoutMs ?? 5000,
        // The broker tells consumers when this cloud is gone without saying goodbye.
        { topic: cloudTopics.cloudStatus, payload: cloudStatus('offline', 'the cloud lost its connection') },
      );
      this.log.info('connected to the external cloud MQTT broker');
    } else {
      this.broker = await startEmbeddedBroker(o.host, o.port);
      this.log.info({ host: o.host ?? '127.0.0.1', port: this.broker.port }, 'embedded cloud MQTT broker listening');
    }
    const me = { name: this.name, group: this.group };
    const unserve = [
      o.bus.serve('cloudmqtt.publish', me, (req) => this.publish(req)),
      o.bus.serve('cloudmqtt.publishMany', me, (req) => this.publishMany(req.messages, req.beforeDelivery)),
    ];
    this.unserve = () => {
      for (const u of unserve) u();
    };
    await this.broker.publish(cloudTopics.cloudStatus, cloudStatus('online'), 1, true);
  }

  async stop(): Promise<void> {
    this.unserve?.();
    this.unserve = undefined;
    const broker = this.broker;
    this.broker = undefined;
    await broker
      ?.publish(cloudTopics.cloudStatus, cloudStatus('offline', 'the cloud stopped'), 1, true)
      .catch((err: unknown) => this.log.warn({ err: errorText(err) }, 'cloud status not published'));
    await broker?.close();
  }

  private async publishMany(messages: CloudMqttPublish[], beforeDelivery?: () => void): Promise<undefined> {
    const broker = this.broker;
    if (!broker)
      throw cloudMqttErrors.create(
        'KEDGE_CLOUDMQTT_PUBLISH',
        `cannot publish ${messages.length} messages: the cloud MQTT module is stopped`,
      );
    const before = () => {
      try {
        beforeDelivery?.();
      } catch (err) {
        this.log.error(
          { err: errorText(err) },
          'could not run what had to happen before a delivery; published all the same',
        );
      }
    };
    try {
      await broker.publishMany(
        messages.map((m) => ({
          topic: m.topic,
          payload: toBuffer(m.payload),
          qos: m.qos ?? 1,
          retain: m.retain ?? false,
        })),
        before,
      );
      this.metrics!.published.inc(messages.length);
    } catch (err) {
      this.metrics!.failed.inc();
      throw cloudMqttErrors.create(
        'KEDGE_CLOUDMQTT_PUBLISH',
        `cannot publish on ${messages[0]?.topic ?? '(nothing)'} and ${Math.max(0, messages.length - 1)} more: ${errorText(err)}`,
        { cause: err },
      );
    }
  }

  private async publish(req: CloudMqttPublish): Promise<undefined> {
    const broker = this.broker;
    if (!broker)
      throw cloudMqttErrors.create(
        'KEDGE_CLOUDMQTT_PUBLISH',
        `cannot publish on ${req.topic}: the cloud MQTT module is stopped`,
      );
    const payload = toBuffer(req.payload);
    try {
      await broker.publish(req.topic, payload, req.qos ?? 1, req.retain ?? false);
      this.metrics!.published.inc();
    } catch (err) {
      this.metrics!.failed.inc();
      throw cloudMqttErrors.create('KEDGE_CLOUDMQTT_PUBLISH', `cannot publish on ${req.topic}: ${errorText(err)}`, {
        cause: err,
      });
    }
  }
}

function toBuffer(payload: unknown): Buffer {
  return Buffer.isBuffer(payload)
    ? payload
    : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
}

function cloudStatus(state: 'online' | 'offline', reason?: string): Buffer {
  return Buffer.from(JSON.stringify({ state, ...(reason ? { reason } : {}), ts: Date.now() }));
}

import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { CloudChannels, CloudMqttPublish, CloudRequests } from '../../contracts/index.js';
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
      );
      this.log.info('connected to the external cloud MQTT broker');
    } else {
      this.broker = await startEmbeddedBroker(o.host, o.port);
      this.log.info({ host: o.host ?? '127.0.0.1', port: this.broker.port }, 'embedded cloud MQTT broker listening');
    }
    this.unserve = o.bus.serve('cloudmqtt.publish', { name: this.name, group: this.group }, (req) => this.publish(req));
  }

  async stop(): Promise<void> {
    this.unserve?.();
    this.unserve = undefined;
    const broker = this.broker;
    this.broker = undefined;
    await broker?.close();
  }

  private async publish(req: CloudMqttPublish): Promise<undefined> {
    const broker = this.broker;
    if (!broker)
      throw cloudMqttErrors.create(
        'KEDGE_CLOUDMQTT_PUBLISH',
        `cannot publish on ${req.topic}: the cloud MQTT module is stopped`,
      );
    const payload = Buffer.isBuffer(req.payload)
      ? req.payload
      : Buffer.from(typeof req.payload === 'string' ? req.payload : JSON.stringify(req.payload));
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

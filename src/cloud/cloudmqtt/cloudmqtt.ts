import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { cloudTopics, type CloudChannels, type CloudMqttPublish, type CloudRequests } from '../../contracts/index.js';
import type { Bus } from '../../core/bus/index.js';
import { errorText } from '../../core/errors/index.js';
import type { Module } from '../../core/module/index.js';
import type { LeaderElection } from '../leader/index.js';
import type { NodePresence } from '../presence/index.js';
import type { PublishJournal } from '../store/index.js';
import { connectExternalBroker, startEmbeddedBroker, type CloudBroker } from './broker.js';
import { cloudMqttErrors } from './errors.js';
import { completeSession, OnceSession } from './once.js';

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
  /**
   * Cloud replicas with an external broker: telemetry is published exactly once across replica
   * crashes (src/cloud/cloudmqtt/once.ts). The leader completes the sessions of dead replicas.
   */
  once?: { journal: PublishJournal; presence: NodePresence; leader: LeaderElection };
}

/** The consumers' broker: serves `cloudmqtt.publish`, resolving once the broker has the message. */
export class CloudMqtt implements Module {
  readonly name = 'cloudmqtt';
  readonly group = 'cloudmqtt';
  private broker: CloudBroker | undefined;
  private readonly log: Logger;
  private metrics: { published: Counter; failed: Counter } | undefined;
  private once: OnceSession | undefined;
  private epoch = 0;
  private undo: Array<() => void> = [];

  constructor(private readonly options: CloudMqttOptions) {
    this.log = options.logger.child({ module: 'cloudmqtt' });
  }

  /**
   * Where this cloud says online/offline: `kedge/status/cloud`; with replicas each replica on
   * `kedge/status/cloud/<replica>` (one replica's last will must not call the others offline).
   */
  private get statusTopic(): string {
    const once = this.options.once;
    return once ? cloudTopics.cloudReplicaStatus(once.presence.identity) : cloudTopics.cloudStatus;
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
        { topic: this.statusTopic, payload: cloudStatus('offline', 'the cloud lost its connection') },
      );
      this.log.info('connected to the external cloud MQTT broker');
    } else {
      this.broker = await startEmbeddedBroker(o.host, o.port);
      this.log.info({ host: o.host ?? '127.0.0.1', port: this.broker.port }, 'embedded cloud MQTT broker listening');
    }
    const me = { name: this.name, group: this.group };
    this.undo.push(
      o.bus.serve('cloudmqtt.publish', me, (req) => this.publish(req)),
      o.bus.serve('cloudmqtt.publishOnce', me, (req) => this.publishOnce(req)),
    );
    await this.broker.publish(this.statusTopic, cloudStatus('online'), 1, true);
    if (o.url && o.once) await this.startOnce(o.url, o.once);
  }

  /**
   * Opens this replica's QoS 2 session under a new name, announced as alive first. A replica cut
   * off from etcd closes it (it cannot journal; the leader completes it) and opens a new one
   * when etcd answers again, so the two never use one client id at once.
   */
  private async startOnce(url: string, once: NonNullable<CloudMqttOptions['once']>): Promise<void> {
    const open = async () => {
      const session = `kedge-${once.presence.identity}-${++this.epoch}`;
      await once.presence.announce(session);
      const s = new OnceSession({
        url,
        journal: once.journal,
        session,
        logger: this.log,
        connectTimeoutMs: this.options.connectTimeoutMs ?? 5000,
      });
      await s.start();
      this.once = s;
      this.log.info({ session }, 'exactly-once MQTT session open');
    };
    await open();
    this.undo.push(
      once.presence.onHealth((healthy) => {
        const old = this.once;
        this.once = undefined;
        void old?.stop();
        if (healthy)
          void open().catch((err: unknown) =>
            this.log.warn({ err: errorText(err) }, 'exactly-once session not reopened'),
          );
      }),
    );
    this.undo.push(once.leader.whileLeader((signal) => this.completeDeadSessions(url, once, signal)));
  }

  /** Leader work: every 2 s, completes the journal records of sessions no live replica announces. */
  private async completeDeadSessions(
    url: string,
    once: NonNullable<CloudMqttOptions['once']>,
    signal: AbortSignal,
  ): Promise<void> {
    while (!signal.aborted) {
      try {
        const live = new Set((await once.presence.replicas()).values());
        for (const session of await once.journal.sessions()) {
          if (signal.aborted || live.has(session) || session === this.once?.session) continue;
          const n = await completeSession({
            url,
            journal: once.journal,
            session,
            logger: this.log,
            connectTimeoutMs: this.options.connectTimeoutMs ?? 5000,
          });
          this.log.info({ session, packets: n }, 'completed the MQTT session of a replica that is gone');
        }
      } catch (err) {
        this.log.warn({ err: errorText(err) }, 'sessions of gone replicas not completed; retrying');
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  }

  /**
   * Replicas with an external broker: QoS 2 through the journal, whose `begin` records the message
   * as handled with its packets (the claim). Otherwise the claim right before delivery.
   */
  private async publishOnce(req: CloudRequests['cloudmqtt.publishOnce']['request']): Promise<undefined> {
    if (!this.options.once) return this.publishClaimed(req.items, req.claim);
    const once = this.once;
    if (!once)
      throw cloudMqttErrors.create(
        'KEDGE_CLOUDMQTT_PUBLISH',
        `message ${req.msgId} of ${req.node} not published: this replica is cut off from etcd`,
      );
    try {
      await once.publishOnce(
        req.node,
        req.msgId,
        req.items.map((it) => ({ topic: it.topic, payload: payloadOf(it.payload) })),
      );
      this.metrics!.published.inc(req.items.length);
    } catch (err) {
      this.metrics!.failed.inc();
      throw cloudMqttErrors.create(
        'KEDGE_CLOUDMQTT_PUBLISH',
        `message ${req.msgId} of ${req.node} not published: ${errorText(err)}`,
        { cause: err },
      );
    }
  }

  async stop(): Promise<void> {
    for (const u of this.undo.splice(0)) u();
    const once = this.once;
    this.once = undefined;
    await once?.stop();
    const broker = this.broker;
    this.broker = undefined;
    await broker
      ?.publish(this.statusTopic, cloudStatus('offline', 'the cloud stopped'), 1, true)
      .catch((err: unknown) => this.log.warn({ err: errorText(err) }, 'cloud status not published'));
    await broker?.close();
  }

  private async publishClaimed(messages: CloudMqttPublish[], claim?: () => Promise<void>): Promise<undefined> {
    const broker = this.broker;
    if (!broker)
      throw cloudMqttErrors.create(
        'KEDGE_CLOUDMQTT_PUBLISH',
        `cannot publish ${messages.length} messages: the cloud MQTT module is stopped`,
      );
    const before = async () => {
      try {
        await claim?.();
      } catch (err) {
        this.log.error(
          { err: errorText(err) },
          'the message could not be claimed before its delivery; published all the same',
        );
      }
    };
    try {
      await broker.publishMany(
        messages.map((m) => ({
          topic: m.topic,
          payload: payloadOf(m.payload),
          qos: m.qos ?? 1,
          retain: m.retain ?? false,
        })),
        before,
      );
      this.metrics!.published.inc(messages.length);
      return undefined;
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
    const payload = payloadOf(req.payload);
    try {
      await broker.publish(req.topic, payload, req.qos ?? 1, req.retain ?? false);
      this.metrics!.published.inc();
      if (this.options.bus.hasSubscribers('consumer.published')) this.options.bus.publish('consumer.published', req);
    } catch (err) {
      this.metrics!.failed.inc();
      throw cloudMqttErrors.create('KEDGE_CLOUDMQTT_PUBLISH', `cannot publish on ${req.topic}: ${errorText(err)}`, {
        cause: err,
      });
    }
  }
}

function payloadOf(p: unknown): Buffer {
  return Buffer.isBuffer(p) ? p : Buffer.from(typeof p === 'string' ? p : JSON.stringify(p));
}

function cloudStatus(state: 'online' | 'offline', reason?: string): Buffer {
  return Buffer.from(JSON.stringify({ state, ...(reason ? { reason } : {}), ts: Date.now() }));
}

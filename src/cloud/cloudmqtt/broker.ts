import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes } from 'aedes';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { cloudMqttErrors } from './errors.js';
import { closeServer, listen } from '../../core/net/index.js';
import { SubscriberSockets } from './held-delivery.js';
import { PublishOrder } from './publish-order.js';

export interface BrokerMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
  retain: boolean;
}

/** Where cloud messages go: the embedded broker or a client of an external one. */
export interface CloudBroker {
  publish(topic: string, payload: Buffer, qos: 0 | 1, retain: boolean): Promise<void>;
  /**
   * Publishes in order; `beforeDelivery` (the claim) resolves before the first message can reach
   * a subscriber, with no other wait in between (see `cloudmqtt.publishOnce`).
   */
  publishMany(messages: BrokerMessage[], beforeDelivery: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
  /** Listening port of the embedded broker; undefined for an external broker. */
  readonly port: number | undefined;
}

/** aedes in-process: publishing is a function call; the callback fires once subscribers and retained store have it. */
export async function startEmbeddedBroker(host: string, port: number): Promise<CloudBroker> {
  const aedes = await Aedes.createBroker();
  const subscribers = new SubscriberSockets();
  const server: Server = createServer((socket) => {
    subscribers.add(socket);
    aedes.handle(socket);
  });
  await listen(server, port, host, (err, where) =>
    cloudMqttErrors.create('KEDGE_CLOUDMQTT_LISTEN', `cloud MQTT broker cannot listen on ${where}: ${err.message}`, {
      cause: err,
    }),
  ).catch(async (err: unknown) => {
    await new Promise<void>((r) => aedes.close(() => r()));
    throw err;
  });
  // Without it a retained publish (the twin) is lost to subscribers when telemetry overtakes it.
  const order = new PublishOrder();
  const publish = (topic: string, payload: Buffer, qos: 0 | 1, retain: boolean) =>
    order.run(
      qos,
      retain,
      () =>
        new Promise<void>((resolve, reject) => {
          aedes.publish({ cmd: 'publish', topic, payload, qos, retain, dup: false }, (err) =>
            err ? reject(err) : resolve(),
          );
        }),
    );
  return {
    port: (server.address() as AddressInfo).port,
    publish,
    // The deliveries reach the subscribers' sockets together, right after beforeDelivery (held-delivery.ts).
    publishMany: (messages, beforeDelivery) =>
      subscribers.deliverAfter(
        () => Promise.all(messages.map((m) => publish(m.topic, m.payload, m.qos, m.retain))),
        beforeDelivery,
      ),
    close: async () => {
      await new Promise<void>((r) => aedes.close(() => r()));
      await closeServer(server);
    },
  };
}

/**
 * An MQTT 3.1.1 client of an external broker, resolved at its CONNACK; a broker that does not
 * answer in `timeoutMs` fails with KEDGE_CLOUDMQTT_CONNECT.
 */
export async function connectMqtt(
  url: string,
  options: {
    clientId: string;
    clean: boolean;
    outgoingStore?: IClientOptions['outgoingStore'];
    will?: IClientOptions['will'];
  },
  timeoutMs: number,
): Promise<MqttClient> {
  const client: MqttClient = mqtt.connect(url, {
    protocolVersion: 4,
    reconnectPeriod: 1000,
    connectTimeout: timeoutMs,
    ...options,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no CONNACK within ${timeoutMs} ms`)), timeoutMs);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      client.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  } catch (err) {
    await client.endAsync(true);
    throw cloudMqttErrors.create(
      'KEDGE_CLOUDMQTT_CONNECT',
      `cannot connect to the cloud MQTT broker ${redact(url)} as ${options.clientId}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return client;
}

/** An MQTT 3.1.1 client of an external broker; QoS 1 publishes resolve on PUBACK. */
export async function connectExternalBroker(
  url: string,
  clientId: string,
  timeoutMs: number,
  will?: { topic: string; payload: Buffer },
): Promise<CloudBroker> {
  const client = await connectMqtt(
    url,
    { clientId, clean: true, ...(will ? { will: { ...will, qos: 1 as const, retain: true } } : {}) },
    timeoutMs,
  );
  const connected = (): Promise<void> =>
    client.connected ? Promise.resolve() : new Promise((resolve) => client.once('connect', () => resolve()));
  return {
    port: undefined,
    publish: async (topic, payload, qos, retain) => {
      await client.publishAsync(topic, payload, { qos, retain });
    },
    // Connected, mqtt.js writes a publish to its socket within the call: right after the claim.
    // While the broker is away, wait for it rather than have mqtt.js queue them in memory.
    publishMany: async (messages, beforeDelivery) => {
      await connected();
      await beforeDelivery();
      await Promise.all(messages.map((m) => client.publishAsync(m.topic, m.payload, { qos: m.qos, retain: m.retain })));
    },
    close: () => client.endAsync(),
  };
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

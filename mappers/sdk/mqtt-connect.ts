import { EventEmitter } from 'node:events';
import type { MqttClient } from 'mqtt';
import { LiteMqttClient, type MapperMqtt, type MqttEvents } from './mqtt-lite/client.js';

export type { MapperMqtt } from './mqtt-lite/client.js';

export interface MapperMqttOptions {
  clientId: string;
  reconnectPeriodMs: number;
  connectTimeoutMs: number;
  will: { topic: string; payload: Buffer; qos: 0 | 1; retain: boolean };
}

/**
 * The MQTT client of a mapper. For a plain `mqtt://` or `tcp://` broker (what Edged gives its
 * mappers: the edge's broker on loopback) it is kedge's small MQTT 3.1.1 client (mqtt-lite/);
 * every other URL (mqtts, ws, wss, a SOCKS proxy from MQTTJS_SOCKS_PROXY) goes through
 * `mqtt.connect`. Both speak MQTT 3.1.1 (aedes speaks nothing newer) with a clean session.
 * The client is connecting when this returns; 'connect' tells when it is up.
 */
export async function connectMqtt(
  url: string,
  options: MapperMqttOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<MapperMqtt> {
  const plain = plainTcp(url, env);
  if (plain) return new LiteMqttClient({ ...plain, ...options, clean: true }).start();
  const { default: mqtt } = await import('mqtt');
  return new MqttJsClient(
    mqtt.connect(url, {
      protocolVersion: 4,
      clientId: options.clientId,
      clean: true,
      reconnectPeriod: options.reconnectPeriodMs,
      connectTimeout: options.connectTimeoutMs,
      resubscribe: false, // the runtime subscribes on every 'connect'
      queueQoSZero: false,
      writeCache: false, // mqtt-packet's number cache holds ~6 MB for the process's life
      ...(env.DEBUG ? {} : { log: noLog }), // mqtt.js's debug calls allocate even when off
      will: options.will,
    }),
  );
}

/** mqtt.js behind the mapper's MapperMqtt interface (the URLs the small client does not serve). */
class MqttJsClient extends EventEmitter<MqttEvents> implements MapperMqtt {
  constructor(private readonly client: MqttClient) {
    super();
    client.on('connect', () => this.emit('connect'));
    client.on('offline', () => this.emit('offline'));
    client.on('message', (topic, payload) => this.emit('message', topic, payload));
    client.on('error', (err) => this.emit('error', err));
  }

  get connected(): boolean {
    return this.client.connected;
  }

  publish(
    topic: string,
    payload: Buffer | string,
    options: { qos: 0 | 1; retain?: boolean },
    done: (err?: Error) => void,
  ): boolean {
    if (!this.client.connected) {
      done(new Error('not connected to the MQTT broker'));
      return false;
    }
    this.client.publish(topic, payload, { qos: options.qos, retain: options.retain ?? false }, (err) => done(err));
    return true;
  }

  subscribe(topics: readonly string[], qos: 0 | 1, done: (err?: Error) => void): void {
    this.client.subscribe([...topics], { qos }, (err) => done(err ?? undefined));
  }

  async end(): Promise<void> {
    await this.client.endAsync();
  }
}

const noLog = (): void => undefined;

/** Host, port and credentials of a plain TCP broker URL, or undefined when mqtt.connect is needed. */
export function plainTcp(
  url: string,
  env: NodeJS.ProcessEnv = process.env,
): { host: string; port: number; username?: string; password?: string } | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined; // mqtt.connect reports it
  }
  if ((parsed.protocol !== 'mqtt:' && parsed.protocol !== 'tcp:') || env.MQTTJS_SOCKS_PROXY || parsed.search !== '')
    return undefined;
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost';
  const port = parsed.port === '' ? 1883 : Number(parsed.port);
  const username = parsed.username === '' ? undefined : decodeURIComponent(parsed.username);
  // Edged puts the password of a mapper's broker account in the environment, not on the command line.
  const password =
    parsed.password !== ''
      ? decodeURIComponent(parsed.password)
      : username !== undefined
        ? env.KEDGE_MQTT_PASSWORD
        : undefined;
  return {
    host,
    port,
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
  };
}

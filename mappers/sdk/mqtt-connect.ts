import { createConnection } from 'node:net';
import type { IClientOptions, MqttClient } from 'mqtt';

type ClientClass = new (streamBuilder: () => NodeJS.ReadWriteStream, options: IClientOptions) => MqttClient;

/** The class of a CommonJS module with `exports.default`: Node's import gives it as `default.default`, Vite's interop as `default`. */
function classOf(module: unknown): ClientClass {
  const exported = (module as { default: unknown }).default;
  return (typeof exported === 'function' ? exported : (exported as { default: unknown }).default) as ClientClass;
}

/**
 * An mqtt.js client for a mapper. For a plain `mqtt://` or `tcp://` broker (what Edged gives its
 * mappers: the edge's broker on loopback) the client is built from mqtt.js's client class over a
 * net socket; `mqtt.connect` would also load the WebSocket, TLS and SOCKS transports (about 6 MB
 * of RSS in a mapper, bench/RESULTS.md "Modbus"). Every other URL (mqtts, ws, wss, a SOCKS proxy
 * from MQTTJS_SOCKS_PROXY) goes through `mqtt.connect` as before.
 */
export async function connectMqtt(url: string, options: IClientOptions, env: NodeJS.ProcessEnv = process.env): Promise<MqttClient> {
  const plain = plainTcp(url, env);
  if (!plain) {
    const { default: mqtt } = await import('mqtt');
    return mqtt.connect(url, options);
  }
  const Client = classOf(await import('mqtt/lib/client'));
  const { host, port, username, password } = plain;
  const credentials = username === undefined ? {} : { username, ...(password === undefined ? {} : { password }) };
  return new Client(() => createConnection({ host, port }), { ...credentials, ...options, protocol: 'mqtt', host, hostname: host, port });
}

/** Host, port and credentials of a plain TCP broker URL, or undefined when mqtt.connect is needed. */
export function plainTcp(url: string, env: NodeJS.ProcessEnv = process.env): { host: string; port: number; username?: string; password?: string } | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined; // mqtt.connect reports it
  }
  if ((parsed.protocol !== 'mqtt:' && parsed.protocol !== 'tcp:') || env.MQTTJS_SOCKS_PROXY || parsed.search !== '') return undefined;
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost';
  const port = parsed.port === '' ? 1883 : Number(parsed.port);
  const username = parsed.username === '' ? undefined : decodeURIComponent(parsed.username);
  const password = parsed.password === '' ? undefined : decodeURIComponent(parsed.password);
  return { host, port, ...(username === undefined ? {} : { username }), ...(password === undefined ? {} : { password }) };
}

import { KNOWN_PROTOCOLS } from './protocols/index.js';
import type { Path } from './schema-check.js';
import type { Device, PushMethod } from './schema.js';
import type { Entry } from './validate-references.js';
import type { Report } from './validate-report.js';

/** The push methods kedge's own mappers carry out (mappers/sdk/push). */
export const KEDGE_PUSH_METHODS = ['mqtt', 'http'] as const;
const DMI_ONLY = ['otel', 'dbMethod', 'anomalyDetection'] as const;

/**
 * A property's pushMethod is carried out by the mapper that serves the device. kedge's mappers
 * push over mqtt and http; any other method on a device of kedge's protocols would be silently
 * ignored, so it is an error that names it. A device of another protocol is served by a DMI
 * mapper, which gets the pushMethod as written (a KubeEdge mapper may implement otel or a
 * database): a warning only says kedge does not check it.
 */
export function checkPushMethods({ doc, value }: Entry<Device>, protocolName: string, report: Report): void {
  const kedgeServes = KNOWN_PROTOCOLS.includes(protocolName.toLowerCase());
  (value.spec.properties ?? []).forEach((p, i) => {
    const push = p.pushMethod;
    if (!push) return;
    const at: Path = ['spec', 'properties', i, 'pushMethod'];
    for (const method of DMI_ONLY) {
      if (push[method] === undefined) continue;
      if (kedgeServes)
        report.error(
          doc,
          [...at, method],
          `pushMethod ${method} is not supported by kedge's ${protocolName} mapper (it pushes over ${KEDGE_PUSH_METHODS.join(' and ')}); use one of those, or read the values from kedge's cloud MQTT topics`,
        );
      else
        report.warning(
          doc,
          [...at, method],
          `pushMethod ${method} is passed to the DMI mapper serving protocol ${protocolName || '(none)'}; kedge's own mappers do not implement it`,
        );
    }
    checkMqtt(push, at, (path, message) => report.error(doc, path, message));
    checkHttp(push, at, (path, message) => report.error(doc, path, message));
    if (kedgeServes && push.mqtt === undefined && push.http === undefined && !DMI_ONLY.some((m) => push[m]))
      report.warning(doc, at, 'pushMethod names no method (mqtt or http): nothing is pushed');
  });
}

type Problem = (path: Path, message: string) => void;

function checkMqtt(push: PushMethod, at: Path, problem: Problem): void {
  const mqtt = push.mqtt;
  if (!mqtt) return;
  if (!mqtt.address) problem([...at, 'mqtt'], 'pushMethod mqtt needs address (the broker, e.g. mqtt://10.0.0.5:1883)');
  else if (!/^(mqtt|mqtts|tcp|ssl|ws|wss):\/\/[^/\s]+/.test(mqtt.address))
    problem(
      [...at, 'mqtt', 'address'],
      `${mqtt.address} is not a broker URL; write mqtt://host:port (or mqtts://, tcp://, ws://, wss://)`,
    );
  if (!mqtt.topic) problem([...at, 'mqtt'], 'pushMethod mqtt needs topic (where the readings are published)');
  else if (/[#+]/.test(mqtt.topic))
    problem([...at, 'mqtt', 'topic'], `${mqtt.topic} has a wildcard (# or +); a publish needs a plain topic`);
}

function checkHttp(push: PushMethod, at: Path, problem: Problem): void {
  const http = push.http;
  if (!http) return;
  if (!http.hostName) {
    problem([...at, 'http'], 'pushMethod http needs hostName (e.g. http://10.0.0.5)');
    return;
  }
  const url = pushUrl(http);
  if (url === undefined)
    problem(
      [...at, 'http', 'hostName'],
      `${http.hostName} with port ${http.port ?? '(none)'} and requestPath ${http.requestPath ?? '(none)'} is not an http(s) URL`,
    );
}

/**
 * The URL KubeEdge's HTTP push posts to: hostName + ":" + port + requestPath (http:// when the
 * host name has no scheme; without a port, the scheme's).
 */
export function pushUrl(http: NonNullable<PushMethod['http']>): URL | undefined {
  const host = /^[a-z][a-z0-9+.-]*:\/\//i.test(http.hostName ?? '') ? http.hostName! : `http://${http.hostName}`;
  const path = http.requestPath ? (http.requestPath.startsWith('/') ? http.requestPath : `/${http.requestPath}`) : '';
  try {
    const url = new URL(`${host.replace(/\/+$/, '')}${http.port ? `:${http.port}` : ''}${path}`);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

import { Value } from '@sinclair/typebox/value';
import {
  type CloudConfig,
  CloudConfigSchema,
  type EdgeConfig,
  EdgeConfigSchema,
  MapperConfigSchema,
} from './schema.js';

/**
 * The configuration's defaults, read from the schema: the one place they live. Modules take
 * required options; the composition roots pass the loaded configuration, and tests that build a
 * module by hand take its defaults from here rather than writing the numbers again.
 */
export function edgeDefaults(given: Partial<EdgeConfig> = {}): EdgeConfig {
  return Value.Default(EdgeConfigSchema, structuredClone(given)) as EdgeConfig;
}

export function cloudDefaults(given: Partial<CloudConfig> = {}): CloudConfig {
  return Value.Default(CloudConfigSchema, structuredClone(given)) as CloudConfig;
}

/**
 * The default ports, read from the config schema (the one place defaults are written), for the
 * code that needs them outside a loaded configuration: the CLI's default --server, the demo's
 * flags, help texts. A unit test checks each against the WHATWG fetch "bad ports" list.
 */
export const DEFAULT_PORTS = {
  cloudHub: CloudConfigSchema.properties.hubPort.default as number,
  cloudApi: CloudConfigSchema.properties.apiPort.default as number,
  cloudJoin: CloudConfigSchema.properties.pki.properties.joinPort.default as number,
  cloudMqtt: CloudConfigSchema.properties.mqtt.properties.port.default as number,
  edgeMqtt: EdgeConfigSchema.properties.mqtt.properties.port.default as number,
  edgeApi: EdgeConfigSchema.properties.apiPort.default as number,
  edgeServicebus: EdgeConfigSchema.properties.servicebusPort.default as number,
} as const;

/** The mapper's default broker URL (the edge's embedded broker). */
export const DEFAULT_MAPPER_MQTT_URL = MapperConfigSchema.properties.mqttUrl.default as string;

/** The cloud API the CLI talks to when no --server is given. */
export const DEFAULT_CLOUD_API_URL = `http://127.0.0.1:${DEFAULT_PORTS.cloudApi}`;
/** The edge's local API (`--edge`; KubeEdge's MetaServer port). */
export const DEFAULT_EDGE_API_URL = `http://127.0.0.1:${DEFAULT_PORTS.edgeApi}`;

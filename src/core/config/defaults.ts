import { CloudConfigSchema, EdgeConfigSchema, MapperConfigSchema } from './schema.js';

/**
 * The default ports, read from the config schema (the one place defaults are written), for the
 * code that needs them outside a loaded configuration: the CLI's default --server, the demo's
 * flags, help texts. A unit test checks each against the WHATWG fetch "bad ports" list.
 */
export const DEFAULT_PORTS = {
  cloudHub: CloudConfigSchema.properties.hubPort.default as number,
  cloudApi: CloudConfigSchema.properties.apiPort.default as number,
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

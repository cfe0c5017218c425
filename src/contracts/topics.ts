/**
 * The MQTT topic tree. Edge topics keep KubeEdge's names (`$hw/...`, `$ke/...`, device id =
 * `<namespace>/<name>`); kedge's additions live under `$ke/mappers/...`. Cloud topics are
 * kedge's own, for consumers. Build and parse topics only through these functions.
 */
const DEVICE = '$hw/events/device';
const NODE = '$hw/events/node';
const KE_DEVICE = '$ke/events/device';

export const edgeTopics = {
  twinUpdate: (id: string) => `${DEVICE}/${id}/twin/update`,
  twinUpdateResult: (id: string) => `${DEVICE}/${id}/twin/update/result`,
  twinUpdateDocument: (id: string) => `${DEVICE}/${id}/twin/update/document`,
  twinUpdateDelta: (id: string) => `${DEVICE}/${id}/twin/update/delta`,
  twinGet: (id: string) => `${DEVICE}/${id}/twin/get`,
  twinGetResult: (id: string) => `${DEVICE}/${id}/twin/get/result`,
  twinCloudUpdated: (id: string) => `${DEVICE}/${id}/twin/cloud_updated`,
  stateUpdate: (id: string) => `${DEVICE}/${id}/state/update`,
  stateUpdateResult: (id: string) => `${DEVICE}/${id}/state/update/result`,
  membershipGet: (node: string) => `${NODE}/${node}/membership/get`,
  membershipGetResult: (node: string) => `${NODE}/${node}/membership/get/result`,
  membershipUpdated: (node: string) => `${NODE}/${node}/membership/updated`,
  connected: (id: string) => `$hw/events/connected/${id}`,
  disconnected: (id: string) => `$hw/events/disconnected/${id}`,
  upload: '$hw/events/upload/#',
  /**
   * KubeEdge's mapper data topic, in KubeEdge's DeviceData shape both ways: third-party mappers
   * publish raw values here, and the edge republishes every other raw reading here for consumers
   * written for KubeEdge.
   */
  dataUpdate: (id: string) => `${KE_DEVICE}/${id}/data/update`,
  /** kedge: a kedge mapper's raw readings of one poll, in kedge's compact form (with quality). */
  dataRaw: (id: string) => `${KE_DEVICE}/${id}/data/raw`,
  /** kedge: cleansed readings, for applications on the edge. */
  dataCleansed: (id: string) => `${KE_DEVICE}/${id}/data/cleansed`,
  /** kedge: the retained desired device set of one protocol on this node. */
  mapperDevices: (protocol: string) => `$ke/mappers/${protocol}/devices`,
  /** kedge: a mapper process's retained liveness (online, or offline by its last will). */
  mapperStatus: (mapperName: string) => `$ke/mapper-status/${mapperName}`,
  /** kedge: a mapper's metrics, Prometheus text, pushed every `--metrics-interval`; the edge's /metrics federates them. */
  mapperMetrics: (mapperName: string) => `$ke/mapper-metrics/${mapperName}`,
  /** kedge: read-back result of a desired-value write, from the mapper. */
  writeResult: (id: string) => `${KE_DEVICE}/${id}/write/result`,
  /**
   * kedge: a desired value the device did not confirm (refused, read back otherwise, or timed out),
   * `{event_id, timestamp, property, value, reason}`. KubeEdge has no such message; its result
   * topic answers requests only.
   */
  desiredFailed: (id: string) => `${KE_DEVICE}/${id}/twin/desired/failed`,
} as const;

/** Subscription filters (two `+` for namespace and name). */
export const edgeFilters = {
  twinUpdate: `${DEVICE}/+/+/twin/update`,
  twinGet: `${DEVICE}/+/+/twin/get`,
  twinDelta: `${DEVICE}/+/+/twin/update/delta`,
  stateUpdate: `${DEVICE}/+/+/state/update`,
  dataUpdate: `${KE_DEVICE}/+/+/data/update`,
  dataRaw: `${KE_DEVICE}/+/+/data/raw`,
  writeResult: `${KE_DEVICE}/+/+/write/result`,
  membershipGet: `${NODE}/+/membership/get`,
  mapperStatus: '$ke/mapper-status/+',
  mapperMetrics: '$ke/mapper-metrics/+',
} as const;

export const cloudTopics = {
  telemetry: (namespace: string, device: string) => `kedge/telemetry/${namespace}/${device}`,
  twin: (namespace: string, device: string) => `kedge/twin/${namespace}/${device}`,
  nodeStatus: (node: string) => `kedge/status/node/${node}`,
  deviceStatus: (namespace: string, device: string) => `kedge/status/device/${namespace}/${device}`,
  /**
   * Retained `{"state":"online"|"offline","ts"}`: online once the cloud is up, offline when it
   * stops, and (external broker) the cloud client's last will when it dies: while it says offline,
   * the retained node and device statuses are not being kept up to date.
   */
  cloudStatus: 'kedge/status/cloud',
  /** The same per replica (cloud replicas on etcd): the cloud is up while any replica says online. */
  cloudReplicaStatus: (replica: string) => `kedge/status/cloud/${replica}`,
} as const;

/**
 * The device id (`<namespace>/<name>`) in a `$hw/events/device/...` or `$ke/events/device/...`
 * topic, and the rest of the topic after it; undefined for any other topic.
 */
export function parseDeviceTopic(
  topic: string,
): { id: string; namespace: string; name: string; rest: string } | undefined {
  const prefix = topic.startsWith(`${DEVICE}/`) ? DEVICE : topic.startsWith(`${KE_DEVICE}/`) ? KE_DEVICE : undefined;
  if (!prefix) return undefined;
  const parts = topic.slice(prefix.length + 1).split('/');
  const [namespace, name, ...rest] = parts;
  if (!namespace || !name || rest.length === 0) return undefined;
  return { id: `${namespace}/${name}`, namespace, name, rest: rest.join('/') };
}

import type { Device, DeviceModel } from '../model/index.js';
import type { Quality } from '../model/cleansing/index.js';

/**
 * What crosses the cloud-edge link inside beehive messages (`src/core/message`). Resources are
 * KubeEdge-style: the cloud writes `node/<node>/<namespace>/<type>/<name>`, the edge the same.
 * Every message from the edge that matters is stored in the edge's outbox first and removed
 * only when the cloud answers with a `response` whose `parent_msg_id` is its id.
 */
export const LinkResource = {
  device: 'device',
  deviceModel: 'devicemodel',
  /** Desired values (down) and twin reports (up). */
  deviceTwin: 'devicetwin',
  deviceState: 'devicestate',
  /** Cleansed readings going up. */
  telemetry: 'telemetry',
  /** The mapper workloads a node should run (down) and their status (up). */
  mapperSet: 'mapperset',
  mapperStatus: 'mapperstatus',
} as const;
export type LinkResourceType = (typeof LinkResource)[keyof typeof LinkResource];

export function linkResource(node: string, namespace: string, type: LinkResourceType, name: string): string {
  return `node/${node}/${namespace}/${type}/${name}`;
}

// ---- cloud -> edge ----------------------------------------------------------------------

/** insert/update/delete of `device` and `devicemodel`: the whole object; `header.resourceversion` is the store's version. */
export type DeviceContent = Device;
export type DeviceModelContent = DeviceModel;

/** update of `devicetwin` from the cloud: desired values as strings (KubeEdge style). */
export interface DesiredTwinContent {
  desired: Record<string, string>;
}

/** update of `mapperset/<node>`: the mapper processes this node should run. */
export interface MapperSetContent {
  mappers: Array<{ name: string; protocols: string[] }>;
}

// ---- edge -> cloud ----------------------------------------------------------------------

/** upload of `telemetry/<device>`: the cleansed readings of one device (one poll or a batch). */
export interface TelemetryContent {
  readings: Array<{ property: string; value: number | boolean | string | null; unit?: string; quality: Quality; ts: number }>;
}

/** update of `devicetwin/<device>`: the properties that changed. */
export interface TwinReportContent {
  properties: Record<
    string,
    {
      desired?: { value: string; ts: number; version: number };
      reported?: { value: string; quality: Quality; ts: number; version: number };
      /** A desired value the device did not confirm within the timeout, and why. */
      failed?: { value: string; reason: string; ts: number };
      /** Set when an edge application changed the desired value (the cloud is told). */
      desiredSource?: 'cloud' | 'edge';
    }
  >;
}

/** update of `devicestate/<device>`. */
export interface DeviceStateContent {
  state: 'online' | 'offline' | 'unhealthy' | 'unknown';
  reason?: string;
  ts: number;
}

/** update of `mapperstatus/<mapper>` (like a pod's status). */
export interface MapperStatusContent {
  name: string;
  protocols: string[];
  phase: 'Running' | 'Starting' | 'CrashLoopBackOff' | 'Stopped';
  restarts: number;
  ready: boolean;
  reason?: string;
  ts: number;
}

/** The answer to every message: `operation: response`, `parent_msg_id` = the acknowledged id. */
export interface AckContent {
  ok: boolean;
  reason?: string;
}

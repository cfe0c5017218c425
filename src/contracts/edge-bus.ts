import type { Message } from '../core/message/index.js';
import type { Device, DeviceInstance, DeviceModel, PropertyValue, Quality } from '../model/index.js';
import type { MapperSetContent } from './link.js';
import type { DesiredValue, FailedValue, MapperPhase, ReportedValue } from './twin-values.js';
import type { MapperStatus, RawReading, StateUpdate, TwinUpdate, WriteResult } from './payloads.js';

/**
 * The edge process's bus: channels (publish/subscribe, synchronous, in order) and requests
 * (one server each). Every payload here has already been checked at the process boundary
 * (MQTT, HTTP or the cloud link); modules trust it.
 */

/** A device of this node as the modules see it: resolved, plus the policies from its metadata. */
export interface EdgeDevice {
  instance: DeviceInstance;
  /** metadata.labels and metadata.annotations merged (annotations win). */
  annotations: Record<string, string>;
}

/** One cleansed reading of one property. */
export interface CleansedPropertyReading {
  property: string;
  value: PropertyValue | null;
  quality: Quality;
  ts: number;
  reason?: string | undefined;
  unit?: string | undefined;
  reportToCloud: boolean;
}

/** The cloud link's state, published by EdgeHub on `link.state` whenever it changes. */
export interface LinkStateEvent {
  state: 'connecting' | 'connected' | 'disconnected';
  url: string;
  ts: number;
  reason?: string;
  /** Delay before the next attempt, when disconnected. */
  retryInMs?: number;
}

export interface EdgeChannels {
  /** Raw readings of one device: from a kedge mapper (`data/update`) or a KubeEdge `twin/update` actual value. */
  'device.readings': { deviceId: string; readings: RawReading[]; source: 'mapper' | 'twin' };
  /** Cleansed readings of one device, out of the pipeline (also heartbeats and staleness). */
  'device.cleansed': { deviceId: string; readings: CleansedPropertyReading[] };
  /** A KubeEdge `twin/update` message (checked) for the twin. */
  'twin.update': { deviceId: string; message: TwinUpdate };
  /** A KubeEdge `twin/get` request. */
  'twin.get': { deviceId: string; eventId: string };
  /** Desired values from the cloud (via MetaManager). */
  'twin.desired': { deviceId: string; desired: Record<string, string>; source: 'cloud' | 'edge' };
  /** `state/update` from a mapper or app. */
  'device.state': { deviceId: string; message: StateUpdate };
  /** A mapper's answer to a delta: the read-back or the failure. */
  'device.writeResult': { deviceId: string; result: WriteResult };
  /** `membership/get` for this node. */
  'membership.get': { eventId: string };
  /** A mapper's liveness (`$ke/mapper-status/<name>`). */
  'mapper.status': MapperStatus;
  /**
   * Ask the EventBus to publish on MQTT; payload is serialized to JSON (a string/Buffer as is). A
   * function payload is called only when a client subscribes to the topic (the embedded broker
   * knows; with an external one it is always called): twin documents nobody reads cost nothing.
   */
  'mqtt.publish': { topic: string; payload: unknown; retain?: boolean; qos?: 0 | 1 };
  /** The resolved device set of this node changed (MetaManager). */
  'devices.changed': { devices: EdgeDevice[]; added: string[]; removed: string[]; updated: string[] };
  /** The mapper workloads this node should run changed (from the cloud). */
  'mapperset.changed': MapperSetContent;
  /** A beehive message from the cloud link (EdgeHub -> MetaManager). */
  'cloud.inbound': Message;
  /** MetaManager's verdict on a `cloud.inbound` message (-> EdgeHub answers the cloud). */
  'cloud.ack': { parentMsgId: string; ok: boolean; reason?: string };
  /** The cloud link connects, is up, or went down (EdgeHub). */
  'link.state': LinkStateEvent;
  /** New entries were committed to the outbox (-> EdgeHub may send). */
  'outbox.appended': { count: number };
}

/** The twin of one device as the API shows it (docs/api.md). */
export interface TwinView {
  id: string;
  state: string;
  properties: Record<
    string,
    {
      desired?: DesiredValue;
      reported?: ReportedValue;
      pending?: boolean;
      failed?: Omit<FailedValue, 'value'>;
    }
  >;
}

export interface ApplyResult {
  applied: Array<{
    kind: string;
    namespace: string;
    name: string;
    resourceVersion: string;
    action: 'created' | 'updated' | 'unchanged';
  }>;
  warnings: string[];
}

export interface ServiceCallRequest {
  method: string;
  /** `host:port` on the edge network; must match the allow-list. */
  target: string;
  path: string;
  headers?: Record<string, string>;
  /** Base64. */
  body?: string;
}

export interface ServiceCallResponse {
  status: number;
  headers: Record<string, string>;
  /** Base64. */
  body: string;
}

export interface MapperWorkloadStatus {
  name: string;
  protocols: string[];
  phase: MapperPhase;
  restarts: number;
  ready: boolean;
  pid?: number;
  reason?: string;
}

export interface EdgeRequests {
  'meta.devices': { request: Record<string, never>; response: EdgeDevice[] };
  'meta.apply': { request: { documents: unknown[] }; response: ApplyResult };
  'meta.listDevices': { request: Record<string, never>; response: Device[] };
  'meta.getDevice': { request: { namespace: string; name: string }; response: Device | undefined };
  'meta.listModels': { request: Record<string, never>; response: DeviceModel[] };
  'meta.delete': {
    request: { kind: 'Device' | 'DeviceModel'; namespace: string; name: string };
    response: { deleted: boolean };
  };
  'twin.view': { request: { deviceId: string }; response: TwinView | undefined };
  /** Desired values from the local API; `waitMs` waits until confirmed, failed or the wait ends. */
  'twin.setDesired': {
    request: { deviceId: string; properties: Record<string, string>; waitMs?: number };
    response: TwinView;
  };
  'servicebus.call': { request: ServiceCallRequest; response: ServiceCallResponse };
  'edged.status': { request: Record<string, never>; response: MapperWorkloadStatus[] };
}

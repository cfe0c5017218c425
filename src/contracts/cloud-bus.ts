import type { Message } from '../core/message/index.js';
import type { AckContent } from './link.js';
import type { ServiceCallRequest, ServiceCallResponse, TwinView } from './edge-bus.js';
import type { MapperPhase } from './twin-values.js';

/**
 * The cloud process's bus. CloudHub owns the link: it turns frames into `upstream.<type>`
 * requests (one server each: DeviceController, EdgeController) and sends what modules put on
 * `link.send` down to the node, keyed by object so only the newest version is pending.
 */

/** An object to send to one node; a newer item with the same key replaces a pending one. */
export interface DownstreamItem {
  node: string;
  /** `<type>/<namespace>/<name>` (docs/link.md). */
  key: string;
  /**
   * Opaque version the sender compares on reconnect (ObjectSync): recorded for (node, key)
   * when the edge acknowledges; for `remove` items the record is deleted instead.
   */
  token: string;
  remove?: boolean;
  message: Message;
}

/** One message from an edge node, already parsed and deduplicated by CloudHub. */
export interface UpstreamMessage {
  node: string;
  message: Message;
  /** `route.resource` as CloudHub parsed it (`node/<node>/<namespace>/<type>/<name>`). */
  resource: { namespace: string; type: string; name: string };
}

export interface CloudChannels {
  'link.connected': { node: string; ts: number };
  'link.disconnected': { node: string; reason: string; ts: number };
  /** Any frame from the node counts; keepalives are published here (for the last-heartbeat time). */
  'link.heartbeat': { node: string; ts: number };
  'link.send': DownstreamItem;
  /** Closes the node's link, if it has one (its Node was deleted); the edge may connect again. */
  'link.disconnect': { node: string; reason: string };
}

/** A live HTTP call to a server on a node's network, through the node's ServiceBus (docs/link.md). */
export interface CloudServiceCall {
  node: string;
  call: ServiceCallRequest;
  /** How long CloudHub waits for the edge's answer; the edge gives up at the same time. */
  timeoutMs: number;
}

export interface CloudMqttPublish {
  topic: string;
  payload: unknown;
  qos?: 0 | 1;
  retain?: boolean;
}

export interface NodeView {
  name: string;
  ready: boolean;
  lastHeartbeat: string | null;
  mappers: Array<{
    name: string;
    protocols: string[];
    /** `Pending`: the node should run it, and has not reported it yet. */
    phase?: MapperPhase | 'Pending';
    ready?: boolean;
    restarts?: number;
    reason?: string;
  }>;
}

/**
 * Upstream handlers answer `{ ok: true }` when the message is handled, `{ ok: false, reason }`
 * when it can never be (bad content: the edge drops it), and throw on a transient failure
 * (the message is not acknowledged and the edge sends it again).
 */
export interface CloudRequests {
  'upstream.telemetrycolumns': { request: UpstreamMessage; response: AckContent };
  'upstream.devicetwin': { request: UpstreamMessage; response: AckContent };
  'upstream.devicestate': { request: UpstreamMessage; response: AckContent };
  'upstream.mapperstatus': { request: UpstreamMessage; response: AckContent };
  /** Resolves when the broker has the message (QoS 1: acknowledged). */
  'cloudmqtt.publish': { request: CloudMqttPublish; response: undefined };
  'twin.view': { request: { namespace: string; name: string }; response: TwinView | undefined };
  /** Sets desired values (Device spec); `waitMs` waits until reported == desired, failed or the wait ends. */
  'twin.setDesired': {
    request: { namespace: string; name: string; properties: Record<string, string>; waitMs?: number };
    response: TwinView;
  };
  'nodes.list': { request: Record<string, never>; response: NodeView[] };
  /**
   * Served by CloudHub. Resolves with the target's answer; rejects with KEDGE_CLOUDHUB_* (node not
   * connected, timeout, link lost, too many calls) or with the edge's own error code and
   * `detail.status` (e.g. KEDGE_SERVICEBUS_FORBIDDEN, 403) when the edge did not reach the target.
   */
  'servicebus.call': { request: CloudServiceCall; response: ServiceCallResponse };
}

import { randomUUID } from 'node:crypto';
import type { MsgTwin } from '../../contracts/index.js';
import type { PropertyInstance } from '../../model/index.js';
import type { TwinRecord } from '../store/index.js';

/** One property in KubeEdge's twin message shape (values are strings). */
export function msgTwin(prop: PropertyInstance | undefined, rec: TwinRecord | undefined): MsgTwin {
  const out: MsgTwin = {};
  if (rec?.desired) out.expected = { value: rec.desired.value, metadata: { timestamp: rec.desired.ts } };
  if (rec?.reported)
    out.actual = { value: rec.reported.value, metadata: { timestamp: rec.reported.ts, quality: rec.reported.quality } };
  out.optional = false;
  if (prop) out.metadata = { type: prop.type.toLowerCase() };
  out.expected_version = { cloud: rec?.cloudVersion ?? 0, edge: rec?.edgeVersion ?? 0 };
  out.actual_version = { cloud: 0, edge: rec?.reported?.version ?? 0 };
  return out;
}

export function eventBase(now: number, eventId?: string): { event_id: string; timestamp: number } {
  return { event_id: eventId ?? randomUUID(), timestamp: now };
}

export function errorResult(now: number, code: number, reason: string, eventId?: string) {
  return { ...eventBase(now, eventId), code, reason };
}

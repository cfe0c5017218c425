import type {
  DesiredValue,
  DeviceStateContent,
  FailedValue,
  ReportedValue,
  TwinReportContent,
  TwinView,
} from '../../contracts/index.js';
import { twinValuesMatch, type Device, type Quality } from '../../model/index.js';

interface PropertyTwin {
  reported?: ReportedValue;
  observedDesired?: DesiredValue;
  failed?: FailedValue;
}

/** KubeEdge's `status.twins[]` entry; kedge keeps its extras as strings in `metadata`. */
interface StatusTwin {
  propertyName: string;
  reported?: { value: string; metadata?: Record<string, string> };
  observedDesired?: { value: string; metadata?: Record<string, string> };
}

const QUALITIES = new Set(['good', 'bad', 'uncertain', 'stale']);

/**
 * The cloud's copy of one device's twin: what the edge reported, merged report by report, and
 * written to Device status (coalesced) in KubeEdge's shape, readable back after a restart.
 */
export class DeviceTwinState {
  state = 'unknown';
  stateReason: string | undefined;
  stateTs = 0;
  lastOnlineTime: string | undefined;
  readonly props = new Map<string, PropertyTwin>();

  static fromStatus(status: unknown): DeviceTwinState {
    const t = new DeviceTwinState();
    if (!isObject(status)) return t;
    if (typeof status.state === 'string') t.state = status.state;
    if (typeof status.reason === 'string') t.stateReason = status.reason;
    if (typeof status.lastOnlineTime === 'string') t.lastOnlineTime = status.lastOnlineTime;
    const twins = Array.isArray(status.twins) ? (status.twins as StatusTwin[]) : [];
    for (const tw of twins) {
      if (!isObject(tw) || typeof tw.propertyName !== 'string') continue;
      const p: PropertyTwin = {};
      const r = tw.reported;
      if (r && typeof r.value === 'string') {
        const q = r.metadata?.quality ?? 'good';
        p.reported = {
          value: r.value,
          quality: (QUALITIES.has(q) ? q : 'good') as Quality,
          ts: num(r.metadata?.timestamp),
          version: num(r.metadata?.version),
        };
        if (r.metadata?.reason) p.reported.reason = r.metadata.reason;
      }
      const d = tw.observedDesired;
      if (d && typeof d.value === 'string') {
        p.observedDesired = { value: d.value, ts: num(d.metadata?.timestamp), version: num(d.metadata?.version) };
        if (d.metadata?.failedReason)
          p.failed = { value: d.value, reason: d.metadata.failedReason, ts: num(d.metadata.failedAt) };
      }
      t.props.set(tw.propertyName, p);
    }
    return t;
  }

  applyReport(report: TwinReportContent): void {
    for (const [name, change] of Object.entries(report.properties)) {
      // An optional twin (a property the DeviceModel lacks) deleted on the edge.
      if (change.deleted) {
        this.props.delete(name);
        continue;
      }
      const p = this.props.get(name) ?? {};
      if (change.reported && (!p.reported || change.reported.ts >= p.reported.ts)) p.reported = { ...change.reported };
      if (change.desired) {
        p.observedDesired = { ...change.desired };
        if (p.failed && p.failed.value !== change.desired.value) delete p.failed;
      }
      if (change.failed) p.failed = { ...change.failed };
      else if (change.reported && p.failed && change.reported.value === p.failed.value) delete p.failed;
      this.props.set(name, p);
    }
  }

  applyState(s: DeviceStateContent): void {
    this.state = s.state;
    this.stateReason = s.reason;
    this.stateTs = s.ts;
    if (s.state === 'online') this.lastOnlineTime = new Date(s.ts).toISOString();
  }

  /** The Device status to write: other fields of `existing` kept, twins/state/lastOnlineTime replaced. */
  toStatus(existing: unknown): Record<string, unknown> {
    const base = isObject(existing) ? { ...existing } : {};
    const twins: StatusTwin[] = [];
    for (const [name, p] of [...this.props].sort(([a], [b]) => a.localeCompare(b))) {
      const tw: StatusTwin = { propertyName: name };
      if (p.reported) {
        tw.reported = {
          value: p.reported.value,
          metadata: {
            timestamp: String(p.reported.ts),
            quality: p.reported.quality,
            version: String(p.reported.version),
            ...(p.reported.reason ? { reason: p.reported.reason } : {}),
          },
        };
      }
      const desired =
        p.observedDesired ?? (p.failed ? { value: p.failed.value, ts: p.failed.ts, version: 0 } : undefined);
      if (desired) {
        const metadata: Record<string, string> = { timestamp: String(desired.ts), version: String(desired.version) };
        if (p.failed) Object.assign(metadata, { failedReason: p.failed.reason, failedAt: String(p.failed.ts) });
        tw.observedDesired = { value: desired.value, metadata };
      }
      twins.push(tw);
    }
    base.twins = twins;
    base.state = this.state;
    // kedge's addition (KubeEdge's DeviceStatus has none): why the device is not online.
    if (this.stateReason) base.reason = this.stateReason;
    else delete base.reason;
    if (this.lastOnlineTime) base.lastOnlineTime = this.lastOnlineTime;
    return base;
  }

  /**
   * The twin as the API shows it: desired from the Device spec, the rest from the edge. While the
   * device's node is not ready (`nodeDown`, the reason) its state is `unknown`, as on kedge/status.
   */
  view(device: Device, desiredSetAt: ReadonlyMap<string, number>, nodeDown?: string): TwinView {
    const ns = device.metadata.namespace ?? 'default';
    const properties: TwinView['properties'] = {};
    const desiredByProp = new Map<string, string>();
    for (const p of device.spec.properties ?? [])
      if (p.desired?.value !== undefined) desiredByProp.set(p.name, p.desired.value);
    const names = new Set([...desiredByProp.keys(), ...this.props.keys()]);
    for (const name of [...names].sort()) {
      const p = this.props.get(name) ?? {};
      const entry: TwinView['properties'][string] = {};
      const want = desiredByProp.get(name);
      if (want !== undefined) {
        const observed = p.observedDesired?.value === want ? p.observedDesired : undefined;
        entry.desired = {
          value: want,
          ts: observed?.ts ?? desiredSetAt.get(name) ?? 0,
          version: observed?.version ?? 0,
        };
      }
      if (p.reported) entry.reported = { ...p.reported };
      const failed = p.failed && p.failed.value === want ? p.failed : undefined;
      if (failed) entry.failed = { reason: failed.reason, ts: failed.ts };
      if (want !== undefined)
        entry.pending = !failed && (p.reported === undefined || !twinValuesMatch(p.reported.value, want));
      properties[name] = entry;
    }
    const id = `${ns}/${device.metadata.name}`;
    if (nodeDown !== undefined) return { id, state: 'unknown', reason: nodeDown, properties };
    return { id, state: this.state, ...(this.stateReason ? { reason: this.stateReason } : {}), properties };
  }
}

function num(v: string | undefined): number {
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

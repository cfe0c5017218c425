import { stringify } from 'yaml';
import type { NodeView, TwinView } from '../contracts/index.js';
import { twinValuesMatch, type DeviceModel } from '../model/index.js';
import type { DeviceWithStatus, PodWithStatus } from './api-client.js';
import { clientErrors } from './errors.js';

export type OutputFormat = 'table' | 'json' | 'yaml';

export function checkFormat(raw: string | undefined): OutputFormat {
  const f = raw ?? 'table';
  if (f === 'table' || f === 'json' || f === 'yaml') return f;
  throw clientErrors.create('KEDGE_CLIENT_BAD_ARGUMENT', `-o ${f}: the output format is one of table, json, yaml`);
}

/** `value` as JSON or YAML, or as the table `table` makes of it. Ends with a newline. */
export function render<T>(value: T, format: OutputFormat, table: (v: T) => string[][]): string {
  if (format === 'json') return `${JSON.stringify(value, null, 2)}\n`;
  if (format === 'yaml') return stringify(value);
  return formatTable(table(value));
}

/** Columns padded to their widest cell, like kubectl; the first row is the header. */
export function formatTable(rows: string[][]): string {
  if (rows.length <= 1) return rows.length === 1 ? 'No resources found.\n' : '';
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return `${rows
    .map((r) =>
      r
        .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]! + 3)))
        .join('')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

/** `5s`, `3m`, `2h`, `4d`: the age of a timestamp, kubectl style. */
export function formatAge(ts: number | undefined, now = Date.now()): string {
  if (ts === undefined || !Number.isFinite(ts)) return '-';
  const s = Math.max(0, Math.round((now - ts) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export function nodesTable(list: { items: NodeView[] }, now = Date.now()): string[][] {
  const rows = [['NAME', 'STATUS', 'LAST HEARTBEAT', 'MAPPERS', 'REASON']];
  for (const n of list.items) {
    const beat = n.lastHeartbeat ? formatAge(Date.parse(n.lastHeartbeat), now) : '-';
    const mappers = n.mappers.map((m) => `${m.name}${m.phase ? `(${m.phase})` : ''}`).join(',') || '-';
    rows.push([n.name, n.ready ? 'Ready' : 'NotReady', beat, mappers, n.ready ? '' : (n.reason ?? '')]);
  }
  return rows;
}

export function devicesTable(list: { items: DeviceWithStatus[] }): string[][] {
  const rows = [['NAMESPACE', 'NAME', 'MODEL', 'NODE', 'PROTOCOL', 'STATE', 'REASON']];
  for (const d of list.items) {
    const state = typeof d.status?.state === 'string' ? d.status.state : '-';
    const reason = state !== 'online' && typeof d.status?.reason === 'string' ? d.status.reason : '';
    rows.push([
      d.metadata.namespace ?? 'default',
      d.metadata.name,
      d.spec.deviceModelRef?.name ?? '-',
      d.spec.nodeName ?? '-',
      d.spec.protocol?.protocolName ?? '-',
      state,
      reason,
    ]);
  }
  return rows;
}

export function modelsTable(list: { items: DeviceModel[] }): string[][] {
  const rows = [['NAMESPACE', 'NAME', 'PROTOCOL', 'PROPERTIES']];
  for (const m of list.items) {
    rows.push([
      m.metadata.namespace ?? 'default',
      m.metadata.name,
      m.spec.protocol ?? '-',
      String(m.spec.properties?.length ?? 0),
    ]);
  }
  return rows;
}

export function twinTable(twin: TwinView, now = Date.now()): string[][] {
  const rows = [['PROPERTY', 'DESIRED', 'REPORTED', 'QUALITY', 'AGE', 'SYNC']];
  for (const [name, p] of Object.entries(twin.properties).sort(([a], [b]) => a.localeCompare(b))) {
    const sync = p.failed
      ? `failed: ${p.failed.reason}`
      : p.pending
        ? 'pending'
        : p.desired
          ? p.reported && twinValuesMatch(p.desired.value, p.reported.value)
            ? 'in sync'
            : 'differs'
          : '-';
    rows.push([
      name,
      p.desired?.value ?? '-',
      p.reported?.value ?? '-',
      p.reported ? `${p.reported.quality}${p.reported.reason ? `: ${p.reported.reason}` : ''}` : '-',
      formatAge(p.reported?.ts, now),
      sync,
    ]);
  }
  return rows;
}

/** kubectl's columns: READY x/y, STATUS (a waiting reason such as CrashLoopBackOff, else the phase). */
export function podsTable(list: { items: PodWithStatus[] }, now = Date.now()): string[][] {
  const rows = [['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'NODE', 'AGE']];
  for (const p of list.items) {
    const cs = p.status?.containerStatuses ?? [];
    const ready = `${cs.filter((c) => c.ready).length}/${p.spec.containers.length}`;
    const waiting = cs.find((c) => c.state.waiting && c.state.waiting.reason !== 'ContainerCreating')?.state.waiting;
    const terminated = p.status?.phase === 'Failed' ? cs.find((c) => c.state.terminated)?.state.terminated : undefined;
    const status = waiting?.reason ?? terminated?.reason ?? p.status?.phase ?? 'Pending';
    const restarts = cs.reduce((n, c) => n + c.restartCount, 0);
    const created = (p.metadata as { creationTimestamp?: unknown }).creationTimestamp;
    rows.push([
      p.metadata.namespace ?? 'default',
      p.metadata.name,
      ready,
      status,
      String(restarts),
      p.spec.nodeName ?? '-',
      typeof created === 'string' ? formatAge(Date.parse(created), now) : '-',
    ]);
  }
  return rows;
}

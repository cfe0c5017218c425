import type { PrinterColumn, ResourceType } from './resources.js';
import type { Obj } from './state.js';

/**
 * Server-side printing (`kubectl get` asks for meta.k8s.io Tables): a CRD's
 * additionalPrinterColumns evaluated with the JSONPath subset CRDs use, Nodes as the real server
 * prints them (Status from the Ready condition, Roles from node-role labels), Name and Age for
 * the rest.
 */
const NAME_COLUMN = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace.',
  priority: 0,
};
const AGE: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

export function toTable(type: ResourceType, items: Obj[], listRv: string, includeObject: string | null): Obj {
  const columns = columnsOf(type);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: listRv },
    columnDefinitions: [
      NAME_COLUMN,
      ...columns.map((c) => ({
        name: c.name,
        type: c.type,
        format: c.format ?? '',
        description: c.description ?? '',
        priority: c.priority ?? 0,
      })),
    ],
    rows: items.map((o) => ({
      cells: [o.metadata.name, ...columns.map((c) => cell(type, c, o))],
      object:
        includeObject === 'Object'
          ? o
          : includeObject === 'None'
            ? undefined
            : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}

function columnsOf(type: ResourceType): PrinterColumn[] {
  if (type.printerColumns) return type.printerColumns;
  if (type.kind === 'Node')
    return [
      { name: 'Status', type: 'string', jsonPath: '' },
      { name: 'Roles', type: 'string', jsonPath: '' },
      AGE,
      { name: 'Version', type: 'string', jsonPath: '.status.nodeInfo.kubeletVersion' },
    ];
  return [AGE];
}

function cell(type: ResourceType, c: PrinterColumn, o: Obj): unknown {
  if (type.kind === 'Node' && c.name === 'Status') {
    const ready = (o.status?.conditions ?? []).find((x: Obj) => x.type === 'Ready');
    const status = ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown';
    return o.spec?.unschedulable ? `${status},SchedulingDisabled` : status;
  }
  if (type.kind === 'Node' && c.name === 'Roles') {
    const roles = Object.keys(o.metadata?.labels ?? {})
      .filter((l) => l.startsWith('node-role.kubernetes.io/'))
      .map((l) => l.slice('node-role.kubernetes.io/'.length))
      .sort();
    return roles.join(',') || '<none>';
  }
  const value = evalJsonPath(o, c.jsonPath);
  if (value === undefined || value === null) return null;
  if (c.type === 'date') return typeof value === 'string' ? humanAge(value) : value;
  if (typeof value === 'object') return JSON.stringify(value);
  return value;
}

/** `.a.b`, `.a[0].b`, `.a[?(@.type=="Ready")].status`: the subset printer columns use. */
export function evalJsonPath(o: Obj, path: string): unknown {
  let cur: unknown = o;
  const re = /\.([\w-]+)|\[(\d+)\]|\[\?\(@\.([\w-]+)\s*==\s*["']([^"']*)["']\)\]/g;
  let m: RegExpExecArray | null;
  for (m = re.exec(path); m; m = re.exec(path)) {
    if (cur === undefined || cur === null) return undefined;
    if (m[1] !== undefined) cur = (cur as Obj)[m[1]];
    else if (m[2] !== undefined) cur = Array.isArray(cur) ? cur[Number(m[2])] : undefined;
    else cur = Array.isArray(cur) ? cur.find((x: Obj) => x?.[m![3]!] === m![4]) : undefined;
  }
  return cur;
}

/** The age as the real server prints a `date` column (apimachinery's duration.HumanDuration). */
export function humanAge(timestamp: string, now = Date.now()): string {
  const ms = now - Date.parse(timestamp);
  if (!Number.isFinite(ms)) return '<unknown>';
  if (ms < -1000) return '<invalid>';
  const s = Math.max(0, Math.floor(ms / 1000));
  const m = Math.floor(s / 60);
  const h = Math.floor(s / 3600);
  const d = Math.floor(h / 24);
  const y = Math.floor(d / 365);
  const pair = (a: number, ua: string, b: number, ub: string) => (b === 0 ? `${a}${ua}` : `${a}${ua}${b}${ub}`);
  if (s < 120) return `${s}s`;
  if (m < 10) return pair(m, 'm', s % 60, 's');
  if (h < 3) return `${m}m`;
  if (h < 8) return pair(h, 'h', m % 60, 'm');
  if (h < 48) return `${h}h`;
  if (d < 8) return pair(d, 'd', h % 24, 'h');
  if (y < 2) return `${d}d`;
  if (y < 8) return pair(y, 'y', d % 365, 'd');
  return `${y}y`;
}

import type { Obj } from './state.js';

/**
 * Label selectors (equality and set-based, as kubectl and client libraries send them) and the
 * field selectors every resource supports (metadata.name, metadata.namespace).
 */
export type Matcher = (o: Obj) => boolean;

export class SelectorError extends Error {}

export function labelMatcher(selector: string | null): Matcher {
  if (!selector) return () => true;
  const reqs = splitTop(selector).map(parseRequirement);
  return (o) => {
    const labels = (o.metadata?.labels ?? {}) as Record<string, string>;
    return reqs.every((r) => r(labels));
  };
}

function splitTop(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) parts.push(cur.trim());
  return parts;
}

function parseRequirement(r: string): (labels: Record<string, string>) => boolean {
  let m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(r);
  if (m) {
    const [, key, op, list] = m;
    const values = new Set(list!.split(',').map((v) => v.trim()));
    return op === 'in'
      ? (l) => l[key!] !== undefined && values.has(l[key!]!)
      : (l) => l[key!] === undefined || !values.has(l[key!]!);
  }
  m = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(r);
  if (m) {
    const [, key, op, value] = m;
    return op === '!=' ? (l) => l[key!] !== value : (l) => l[key!] === value;
  }
  m = /^(!?)([\w./-]+)$/.exec(r);
  if (m) return m[1] ? (l) => l[m![2]!] === undefined : (l) => l[m![2]!] !== undefined;
  throw new SelectorError(`unable to parse requirement: ${r}`);
}

export function fieldMatcher(selector: string | null): Matcher {
  if (!selector) return () => true;
  const reqs = selector.split(',').map((r) => {
    const m = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(r.trim());
    if (!m) throw new SelectorError(`invalid selector: '${r}'; can't understand '${r}'`);
    const [, field, op, value] = m;
    const read = (o: Obj): string => {
      if (field === 'metadata.name') return o.metadata?.name ?? '';
      if (field === 'metadata.namespace') return o.metadata?.namespace ?? '';
      throw new SelectorError(`field label not supported: ${field}`);
    };
    return op === '!=' ? (o: Obj) => read(o) !== value : (o: Obj) => read(o) === value;
  });
  return (o) => reqs.every((r) => r(o));
}

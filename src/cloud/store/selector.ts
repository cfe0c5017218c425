import { cloudStoreErrors } from './errors.js';

type Requirement = { key: string; op: 'eq' | 'ne' | 'exists' | 'absent'; value?: string };

/** Compiles an equality-based Kubernetes label selector (`a=b,c!=d,e,!f`) into a predicate. */
export function compileSelector(selector: string | undefined): (labels: Record<string, string> | undefined) => boolean {
  if (!selector || selector.trim() === '') return () => true;
  const reqs = selector.split(',').map((part) => parseRequirement(part.trim(), selector));
  return (labels) => reqs.every((r) => matches(r, labels ?? {}));
}

function parseRequirement(part: string, whole: string): Requirement {
  const bad = () =>
    cloudStoreErrors.create('KEDGE_CLOUD_STORE_SELECTOR', `label selector "${whole}": cannot read "${part}"`);
  const ne = part.indexOf('!=');
  if (ne > 0) return { key: part.slice(0, ne).trim(), op: 'ne', value: part.slice(ne + 2).trim() };
  const eq = part.indexOf('=');
  if (eq > 0)
    return {
      key: part.slice(0, eq).trim(),
      op: 'eq',
      value: part.slice(part[eq + 1] === '=' ? eq + 2 : eq + 1).trim(),
    };
  if (part.startsWith('!') && part.length > 1) return { key: part.slice(1).trim(), op: 'absent' };
  if (/^[A-Za-z0-9._/-]+$/.test(part)) return { key: part, op: 'exists' };
  throw bad();
}

function matches(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  switch (r.op) {
    case 'eq':
      return has && labels[r.key] === r.value;
    case 'ne':
      return !has || labels[r.key] !== r.value;
    case 'exists':
      return has;
    case 'absent':
      return !has;
  }
}

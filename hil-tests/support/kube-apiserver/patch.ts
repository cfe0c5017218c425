/**
 * The patch types the API server accepts. JSON merge patch (RFC 7386) and JSON patch (RFC 6902)
 * are exact. Strategic merge patch is what kubectl sends for built-in types: a merge patch whose
 * lists with a merge key are merged item by item, plus the directives kubectl writes
 * ($patch, $setElementOrder, $retainKeys, $deleteFromPrimitiveList). Server-side apply
 * (apply-patch+yaml) is approximated as a merge of the applied configuration without field
 * ownership: enough for `kubectl apply --server-side` to create and update objects.
 */
export class PatchError extends Error {}

type Json = unknown;
type Obj = Record<string, Json>;

const isObj = (v: Json): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObj(patch)) return clone(patch);
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export function jsonPatch(target: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw new PatchError('a JSON patch is an array of operations');
  let doc = clone(target);
  for (const op of ops as Obj[]) {
    const path = parsePointer(String(op.path ?? ''));
    switch (op.op) {
      case 'add':
        doc = put(doc, path, clone(op.value), 'add');
        break;
      case 'replace':
        get(doc, path);
        doc = put(doc, path, clone(op.value), 'replace');
        break;
      case 'remove':
        get(doc, path);
        doc = removeAt(doc, path);
        break;
      case 'move': {
        const from = parsePointer(String(op.from ?? ''));
        const value = get(doc, from);
        doc = put(removeAt(doc, from), path, value, 'add');
        break;
      }
      case 'copy':
        doc = put(doc, path, clone(get(doc, parsePointer(String(op.from ?? '')))), 'add');
        break;
      case 'test':
        if (JSON.stringify(get(doc, path)) !== JSON.stringify(op.value))
          throw new PatchError(`testing value ${op.path} failed`);
        break;
      default:
        throw new PatchError(`unexpected kind: ${String(op.op)}`);
    }
  }
  return doc;
}

function parsePointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw new PatchError(`invalid JSON pointer ${p}`);
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function get(doc: Json, path: string[]): Json {
  let cur = doc;
  for (const seg of path) {
    if (Array.isArray(cur)) cur = cur[Number(seg)];
    else if (isObj(cur)) cur = cur[seg];
    else cur = undefined;
    if (cur === undefined) throw new PatchError(`doc is missing path: /${path.join('/')}`);
  }
  return cur;
}

function put(doc: Json, path: string[], value: Json, mode: 'add' | 'replace'): Json {
  if (path.length === 0) return value;
  const parent = get(doc, path.slice(0, -1));
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(i) || i < 0 || i > parent.length) throw new PatchError(`index out of range: ${last}`);
    if (mode === 'add') parent.splice(i, 0, value);
    else parent[i] = value;
  } else if (isObj(parent)) parent[last] = value;
  else throw new PatchError(`doc is missing path: /${path.join('/')}`);
  return doc;
}

function removeAt(doc: Json, path: string[]): Json {
  const parent = get(doc, path.slice(0, -1));
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else if (isObj(parent)) delete parent[last];
  return doc;
}

/** patchMergeKey of the lists kubectl merges item by item in the types this double serves. */
const MERGE_KEYS: Record<string, string> = {
  conditions: 'type',
  addresses: 'type',
  ownerReferences: 'uid',
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  imagePullSecrets: 'name',
};
/** Primitive lists with strategy merge (a union). */
const MERGED_PRIMITIVES = new Set(['finalizers']);

export function strategicMergePatch(target: Json, patch: Json): Json {
  if (!isObj(patch)) return clone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _p, ...rest } = patch;
    return stripDirectives(rest);
  }
  if (patch.$patch === 'delete') return undefined;
  const out: Obj = isObj(target) ? { ...target } : {};
  const retain = patch.$retainKeys;
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$setElementOrder/') || k === '$retainKeys' || k === '$patch') continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const gone = new Set((v as Json[]).map((x) => JSON.stringify(x)));
      if (Array.isArray(out[field])) out[field] = (out[field] as Json[]).filter((x) => !gone.has(JSON.stringify(x)));
      continue;
    }
    if (v === null) delete out[k];
    else if (Array.isArray(v) && MERGE_KEYS[k] && Array.isArray(out[k]))
      out[k] = mergeList(out[k] as Json[], v, MERGE_KEYS[k]!);
    else if (Array.isArray(v) && MERGED_PRIMITIVES.has(k) && Array.isArray(out[k]))
      out[k] = [...new Set([...(out[k] as Json[]), ...v].map((x) => JSON.stringify(x)))].map((x) => JSON.parse(x));
    else if (isObj(v)) {
      const merged = strategicMergePatch(out[k], v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else out[k] = stripDirectives(v);
  }
  if (Array.isArray(retain)) for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  return out;
}

function mergeList(current: Json[], patch: Json[], key: string): Json[] {
  const out = current.map((x) => clone(x));
  for (const item of patch) {
    if (!isObj(item)) continue;
    const i = out.findIndex((x) => isObj(x) && x[key] === item[key]);
    if (item.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0) out[i] = strategicMergePatch(out[i], item);
    else out.push(stripDirectives(item));
  }
  return out;
}

function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) if (!k.startsWith('$')) out[k] = stripDirectives(x);
  return out;
}

/** Server-side apply, approximated: the applied configuration merged over the live object. */
export function applyPatch(target: Json, applied: Json): Json {
  if (!isObj(applied)) return clone(applied);
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(applied)) out[k] = isObj(v) ? applyPatch(out[k], v) : clone(v);
  return out;
}

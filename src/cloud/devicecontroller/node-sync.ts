import { LinkResource, linkResource, type DownstreamItem, type LinkResourceType } from '../../contracts/index.js';
import { newMessage, Operation } from '../../core/message/index.js';
import type { StoredObject } from '../store/index.js';
import { syncToken } from '../objectsync/index.js';

interface Wanted {
  key: string;
  type: LinkResourceType;
  namespace: string;
  name: string;
  token: string;
  resourceVersion: string;
  content: unknown;
}

export function modelRefOf(device: StoredObject): string | undefined {
  const ref = (device.spec as { deviceModelRef?: { name?: unknown } } | undefined)?.deviceModelRef?.name;
  return typeof ref === 'string' ? ref : undefined;
}

/**
 * What one node should hold: its devices (without status), the models they use, and a
 * `devicetwin` with the desired values of each device that has any. Models come first so that
 * an edge receiving them in order can resolve each device as it arrives.
 */
export function wantedFor(
  devices: Iterable<StoredObject>,
  models: ReadonlyMap<string, StoredObject>,
): Map<string, Wanted> {
  const modelsOut = new Map<string, Wanted>();
  const devicesOut = new Map<string, Wanted>();
  const twinsOut = new Map<string, Wanted>();
  for (const d of devices) {
    const ns = d.metadata.namespace ?? 'default';
    const ref = modelRefOf(d);
    const model = ref ? models.get(`${ns}/${ref}`) : undefined;
    if (model) modelsOut.set(`${LinkResource.deviceModel}/${ns}/${ref}`, entry(LinkResource.deviceModel, model));
    devicesOut.set(`${LinkResource.device}/${ns}/${d.metadata.name}`, entry(LinkResource.device, d));
    const desired = desiredOf(d);
    if (Object.keys(desired).length > 0) {
      twinsOut.set(`${LinkResource.deviceTwin}/${ns}/${d.metadata.name}`, {
        ...entry(LinkResource.deviceTwin, d),
        content: { desired },
      });
    }
  }
  return new Map([...modelsOut, ...devicesOut, ...twinsOut]);
}

/**
 * The messages that bring a node from `sent` (what it has or was sent) to `wanted`. Objects it
 * should no longer hold are deleted (devices before models); a `devicetwin` is only ever updated,
 * it goes away with its device on the edge.
 */
export function planSync(
  node: string,
  wanted: Map<string, Wanted>,
  sent: ReadonlyMap<string, string>,
): { items: DownstreamItem[]; forget: string[] } {
  const items: DownstreamItem[] = [];
  const forget: string[] = [];
  for (const w of wanted.values()) {
    const before = sent.get(w.key);
    if (before === w.token) continue;
    const operation = w.type === LinkResource.deviceTwin || before !== undefined ? Operation.update : Operation.insert;
    items.push(item(node, w, operation));
  }
  const gone = [...sent.keys()].filter((k) => !wanted.has(k));
  const rank = (k: string) => (k.startsWith(`${LinkResource.device}/`) ? 0 : 1);
  for (const key of gone.sort((a, b) => rank(a) - rank(b))) {
    const [type, namespace, ...rest] = key.split('/');
    if (type === LinkResource.deviceTwin) {
      forget.push(key);
      continue;
    }
    const name = rest.join('/');
    const w: Wanted = {
      key,
      type: type as LinkResourceType,
      namespace: namespace!,
      name,
      token: '',
      resourceVersion: '',
      content: { metadata: { name, namespace } },
    };
    items.push({ ...item(node, w, Operation.delete), remove: true });
  }
  return { items, forget };
}

function entry(type: LinkResourceType, o: StoredObject): Wanted {
  const { status: _status, ...withoutStatus } = o;
  const namespace = o.metadata.namespace ?? 'default';
  return {
    key: `${type}/${namespace}/${o.metadata.name}`,
    type,
    namespace,
    name: o.metadata.name,
    token: syncToken(o),
    resourceVersion: o.metadata.resourceVersion ?? '',
    content: withoutStatus,
  };
}

function item(node: string, w: Wanted, operation: string): DownstreamItem {
  const message = newMessage(
    {
      source: 'devicecontroller',
      group: 'resource',
      operation,
      resource: linkResource(node, w.namespace, w.type, w.name),
    },
    w.content,
    w.resourceVersion ? { resourceVersion: w.resourceVersion } : {},
  );
  return { node, key: w.key, token: w.token, message };
}

export function desiredOf(device: StoredObject): Record<string, string> {
  const out: Record<string, string> = {};
  const props =
    (device.spec as { properties?: Array<{ name?: unknown; desired?: { value?: unknown } }> } | undefined)
      ?.properties ?? [];
  for (const p of props)
    if (typeof p.name === 'string' && typeof p.desired?.value === 'string') out[p.name] = p.desired.value;
  return out;
}

import { edgeFilters } from '../../contracts/index.js';

/** What the EventBus listens to (KubeEdge's edge topics plus kedge's mapper topics). */
export const ingressFilters: readonly string[] = [
  edgeFilters.dataUpdate,
  edgeFilters.dataRaw,
  edgeFilters.twinUpdate,
  edgeFilters.twinGet,
  edgeFilters.stateUpdate,
  edgeFilters.writeResult,
  edgeFilters.membershipGet,
  edgeFilters.mapperStatus,
  edgeFilters.mapperMetrics,
];

const patterns = ingressFilters.map((f) => new RegExp(`^${f.replace(/\$/g, '\\$').replace(/\+/g, '[^/]+')}$`));

export function isIngressTopic(topic: string): boolean {
  for (const p of patterns) if (p.test(topic)) return true;
  return false;
}

/** MQTT filter matching (`+` one level, `#` the rest; wildcards never match a leading `$` level). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

import { edgeFilters } from '../../contracts/index.js';

/** What the EventBus listens to (KubeEdge's edge topics plus kedge's mapper topics). */
export const ingressFilters: readonly string[] = [
  edgeFilters.dataUpdate,
  edgeFilters.twinUpdate,
  edgeFilters.twinGet,
  edgeFilters.stateUpdate,
  edgeFilters.writeResult,
  edgeFilters.membershipGet,
  edgeFilters.mapperStatus,
];

const patterns = ingressFilters.map((f) => new RegExp(`^${f.replace(/\$/g, '\\$').replace(/\+/g, '[^/]+')}$`));

export function isIngressTopic(topic: string): boolean {
  for (const p of patterns) if (p.test(topic)) return true;
  return false;
}

import { type ResourceType, groupVersion } from './resources.js';

/**
 * Legacy discovery (/api, /apis, /api/v1, /apis/<group>[/<version>]) and /version. kubectl asks
 * for aggregated discovery first; a plain JSON answer makes it fall back to these documents, as
 * it does against older servers.
 */
const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function discovery(types: ResourceType[], path: string, serverUrl: string): unknown {
  if (path === '/version')
    return {
      major: '1',
      minor: '32',
      gitVersion: 'v1.32.0',
      gitCommit: 'kedge-test-double',
      gitTreeState: 'clean',
      buildDate: '2024-12-11T00:00:00Z',
      goVersion: 'go1.23.4',
      compiler: 'gc',
      platform: 'linux/amd64',
    };
  if (path === '/healthz' || path === '/readyz' || path === '/livez') return 'ok';
  if (path === '/api')
    return {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: new URL(serverUrl).host }],
    };
  if (path === '/apis') return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups(types) };
  if (path === '/api/v1') return resourceList(types, 'v1');
  const g = /^\/apis\/([^/]+)$/.exec(path);
  if (g) {
    const group = groups(types).find((x) => x.name === g[1]);
    return group ? { kind: 'APIGroup', apiVersion: 'v1', ...group } : undefined;
  }
  const gv = /^\/apis\/([^/]+\/[^/]+)$/.exec(path);
  if (gv && types.some((t) => t.group && groupVersion(t) === gv[1])) return resourceList(types, gv[1]!);
  return undefined;
}

function groups(types: ResourceType[]) {
  const byGroup = new Map<string, string[]>();
  for (const t of types) {
    if (!t.group) continue;
    const versions = byGroup.get(t.group) ?? [];
    if (!versions.includes(t.version)) versions.push(t.version);
    byGroup.set(t.group, versions);
  }
  return [...byGroup].map(([name, versions]) => {
    const sorted = versions.sort(compareVersions);
    return {
      name,
      versions: sorted.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
      preferredVersion: { groupVersion: `${name}/${sorted[0]}`, version: sorted[0] },
    };
  });
}

/** Kubernetes version priority: GA over beta over alpha, higher numbers first. */
function compareVersions(a: string, b: string): number {
  const rank = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0];
    return [m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1, Number(m[1]), Number(m[3] ?? 0)];
  };
  const [x, y] = [rank(a), rank(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return y[i]! - x[i]!;
  return 0;
}

function resourceList(types: ResourceType[], gv: string) {
  const resources = types
    .filter((t) => groupVersion(t) === gv)
    .flatMap((t) => {
      const main = {
        name: t.plural,
        singularName: t.singular,
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: VERBS,
        ...(t.shortNames ? { shortNames: t.shortNames } : {}),
        ...(t.categories ? { categories: t.categories } : {}),
      };
      if (!t.status) return [main];
      return [
        main,
        {
          name: `${t.plural}/status`,
          singularName: '',
          namespaced: t.namespaced,
          kind: t.kind,
          verbs: ['get', 'patch', 'update'],
        },
      ];
    });
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources };
}

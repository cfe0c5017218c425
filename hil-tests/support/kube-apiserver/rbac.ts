import { ApiError } from './errors.js';
import type { Objects } from './objects.js';
import type { ResourceType } from './resources.js';
import type { Obj } from './state.js';

/**
 * RBAC as the API server's authorizer applies it, for the identities the test gives tokens to:
 * ClusterRoleBindings grant their ClusterRole everywhere, RoleBindings grant a Role (or a
 * ClusterRole) in their namespace; a rule matches on API group, resource (`nodes/status` for a
 * subresource), verb and optional resource names. Discovery, OpenAPI and /version are open to
 * every authenticated user (system:discovery). Every authorized request is recorded, so a test
 * can check that each granted rule was needed.
 */
export interface Attributes {
  user: string;
  verb: string;
  group: string;
  resource: string;
  namespace: string;
  name: string | undefined;
}

export class Rbac {
  readonly used: Attributes[] = [];

  constructor(private readonly objects: Objects) {}

  authorize(a: Attributes, type: ResourceType): void {
    if (this.allowed(a)) {
      this.used.push(a);
      return;
    }
    const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
    const qualified = type.group ? `${type.plural}.${type.group}` : type.plural;
    throw new ApiError(
      403,
      'Forbidden',
      `${qualified}${a.name ? ` "${a.name}"` : ''} is forbidden: User "${a.user}" cannot ${a.verb} resource "${a.resource}" in API group "${a.group}" ${scope}`,
      { name: a.name ?? '', group: a.group, kind: type.plural },
    );
  }

  private allowed(a: Attributes): boolean {
    const t = (gv: string, plural: string) => this.objects.typeOf(gv, plural)!;
    const rbac = 'rbac.authorization.k8s.io/v1';
    const bound = (b: Obj) =>
      (b.subjects ?? []).some((s: Obj) => subjectName(s) === a.user) ? (b.roleRef as Obj) : undefined;
    const rulesOf = (ref: Obj, namespace: string): Obj[] => {
      const role =
        ref.kind === 'ClusterRole'
          ? this.objects.get(t(rbac, 'clusterroles'), '', ref.name)
          : this.objects.get(t(rbac, 'roles'), namespace, ref.name);
      return (role?.rules ?? []) as Obj[];
    };
    for (const b of this.objects.state.all('clusterrolebindings.rbac.authorization.k8s.io')) {
      const ref = bound(b);
      if (ref && rulesOf(ref, '').some((r) => matches(r, a))) return true;
    }
    if (!a.namespace) return false;
    for (const b of this.objects.state.all('rolebindings.rbac.authorization.k8s.io')) {
      if (b.metadata.namespace !== a.namespace) continue;
      const ref = bound(b);
      if (ref && rulesOf(ref, a.namespace).some((r) => matches(r, a))) return true;
    }
    return false;
  }
}

function subjectName(s: Obj): string {
  return s.kind === 'ServiceAccount' ? `system:serviceaccount:${s.namespace}:${s.name}` : String(s.name);
}

function matches(rule: Obj, a: Attributes): boolean {
  const has = (list: unknown, value: string) => Array.isArray(list) && (list.includes('*') || list.includes(value));
  if (!has(rule.apiGroups, a.group) || !has(rule.verbs, a.verb) || !has(rule.resources, a.resource)) return false;
  const names = rule.resourceNames as string[] | undefined;
  return !names || names.length === 0 || (a.name !== undefined && names.includes(a.name));
}

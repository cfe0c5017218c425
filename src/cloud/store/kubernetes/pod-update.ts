type Obj = Record<string, unknown>;
type Named = Obj & { name?: unknown };

const byName = (items: unknown): Map<unknown, Named> =>
  new Map((Array.isArray(items) ? (items as Named[]) : []).map((i) => [i.name, i]));

/**
 * The spec to PUT for a Pod that exists: the one given, over what the API server added when it
 * admitted the Pod (defaults, the service-account token volume and its mounts, tolerations). A
 * Pod's spec may not change but for its images, so a write that left those out would be refused
 * (422) although it changes nothing the user wrote; kubectl's apply keeps them the same way.
 */
export function podSpecOver(stored: unknown, given: unknown): Obj {
  const current = (stored ?? {}) as Obj;
  const next = (given ?? {}) as Obj;
  const spec: Obj = { ...current, ...next };
  const givenVolumes = byName(next.volumes);
  const added = [...byName(current.volumes).values()].filter((v) => !givenVolumes.has(v.name) && v.projected);
  if (added.length > 0) spec.volumes = [...givenVolumes.values(), ...added];
  const addedNames = new Set(added.map((v) => v.name));
  const stores = byName(current.containers);
  if (Array.isArray(next.containers))
    spec.containers = (next.containers as Named[]).map((c) => {
      const before = stores.get(c.name);
      if (!before) return c;
      const mounts = [...byName(before.volumeMounts).values()].filter((m) => addedNames.has(m.name));
      const merged: Obj = { ...before, ...c };
      if (mounts.length > 0) merged.volumeMounts = [...((c.volumeMounts as Named[] | undefined) ?? []), ...mounts];
      return merged;
    });
  return spec;
}

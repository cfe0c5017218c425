import type { ObjectStore } from '../store/index.js';

/**
 * A replica's view of a shared store that can be cut off (every call fails, as when the API
 * server stops answering it) and whose reads can be held at a barrier (two candidates reading
 * the same version before either writes). For the coordination tests.
 */
export interface Link {
  store: ObjectStore;
  cut: boolean;
  /** While set, each get() waits for it. */
  gate: Promise<void> | undefined;
  calls: Map<string, number>;
}

export function linkTo(shared: ObjectStore): Link {
  const link: Link = { store: shared, cut: false, gate: undefined, calls: new Map() };
  link.store = new Proxy(shared, {
    get(target, prop) {
      const value = (target as unknown as Record<string | symbol, unknown>)[prop];
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const name = String(prop);
        link.calls.set(name, (link.calls.get(name) ?? 0) + 1);
        if (link.cut)
          throw Object.assign(new Error('connect ECONNREFUSED (cut off in the test)'), { code: 'ECONNREFUSED' });
        if (name === 'get' && link.gate) await link.gate;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return link;
}

export async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

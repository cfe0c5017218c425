/** `host:port` patterns where `*` matches any run of characters (e.g. `10.0.0.*:80`, `localhost:*`). */
export function compileAllowList(patterns: readonly string[]): (target: string) => boolean {
  const res = patterns.map((p) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i'));
  return (target) => res.some((r) => r.test(target));
}

/** `host:port` with a numeric port and no path or credentials; undefined otherwise. */
export function parseTarget(target: string): { host: string; port: number } | undefined {
  const m = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(target);
  if (!m) return undefined;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { host: m[1]!.replace(/^\[|\]$/g, ''), port } : undefined;
}

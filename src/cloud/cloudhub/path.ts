const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** `/<project>/<node>/events` -> its parts; undefined for anything else (names are DNS-1123). */
export function parseHubPath(url: string | undefined): { project: string; node: string } | undefined {
  if (!url) return undefined;
  const path = url.split('?')[0]!;
  const parts = path.split('/');
  if (parts.length !== 4 || parts[0] !== '' || parts[3] !== 'events') return undefined;
  const [, project, node] = parts as [string, string, string, string];
  if (!NAME.test(project) || !NAME.test(node) || node.length > 253) return undefined;
  return { project, node };
}

/** KubeEdge's meta key: `<namespace>/<type>/<name>`. */
export function metaKey(namespace: string, type: string, name: string): string {
  return `${namespace}/${type}/${name}`;
}

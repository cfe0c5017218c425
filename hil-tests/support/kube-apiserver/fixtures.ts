import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import type { KubeKind } from '../../../src/cloud/store/kubernetes/index.js';
import { KubeApiServer, type KubeApiServerOptions } from './server.js';

/** The contract suite's kinds: Thing (namespaced, status subresource) and Other (cluster-scoped). */
export const testKinds: KubeKind[] = [
  { kind: 'Thing', group: 'test.kedge.io', version: 'v1', plural: 'things', namespaced: true },
  { kind: 'Other', group: 'test.kedge.io', version: 'v1', plural: 'others', namespaced: false },
];

const free = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };

function testCrd(kind: string, plural: string, scope: 'Namespaced' | 'Cluster', status: boolean) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.test.kedge.io` },
    spec: {
      group: 'test.kedge.io',
      scope,
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', properties: { spec: free, status: free } } },
          ...(status ? { subresources: { status: {} } } : {}),
        },
      ],
    },
  };
}

/**
 * A started double with kedge's CRDs (deploy/crds) and the test kinds installed, and the
 * namespaces the tests use.
 */
export async function startTestApiServer(
  options: KubeApiServerOptions & { crds?: boolean } = {},
): Promise<KubeApiServer> {
  const server = new KubeApiServer(options);
  await server.start();
  if (options.crds === false) return server;
  const crds = server.objects.typeOf('apiextensions.k8s.io/v1', 'customresourcedefinitions')!;
  const dir = new URL('../../../deploy/crds/', import.meta.url).pathname;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')))
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8')))
      server.objects.create(crds, '', doc.toJSON() as Record<string, unknown>);
  server.objects.create(crds, '', testCrd('Thing', 'things', 'Namespaced', true));
  server.objects.create(crds, '', testCrd('Other', 'others', 'Cluster', false));
  const namespaces = server.objects.typeOf('v1', 'namespaces')!;
  for (const ns of ['plant', 'other']) server.objects.create(namespaces, '', { metadata: { name: ns } });
  return server;
}

export function kubeConfigFor(server: KubeApiServer, token?: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser(
    { name: 'double', server: server.url, skipTLSVerify: false, caData: server.caData },
    { name: 'kedge', ...(token ? { token } : {}) },
  );
  return kc;
}

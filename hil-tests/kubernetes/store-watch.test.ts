import { afterEach, describe, expect, it } from 'vitest';
import type { StoredObject, WatchEvent } from '../../src/cloud/store/index.js';
import { KubernetesObjectStore } from '../../src/cloud/store/kubernetes/index.js';
import { type KubeApiServer, kubeConfigFor, startTestApiServer, testKinds } from '../support/kube-apiserver/index.js';

/**
 * The Kubernetes store's watches across everything that ends a watch stream: the server's
 * timeout, a compaction (410 Gone, as an ERROR event or as the HTTP status), refused
 * connections. Every change is delivered exactly once, in order, and unchanged objects are not
 * delivered again.
 */
let server: KubeApiServer;
let store: KubernetesObjectStore;
const errors: Array<{ err: unknown; retryInMs: number | undefined }> = [];

async function setup(options: { expiredAsHttpStatus?: boolean } = {}): Promise<void> {
  server = await startTestApiServer({ bookmarkIntervalMs: 30, ...options });
  errors.length = 0;
  store = await KubernetesObjectStore.open({
    kubeConfig: kubeConfigFor(server),
    kinds: testKinds,
    backoff: { initialMs: 50, maxMs: 400 },
    onWatchError: (_kind, err, retryInMs) => errors.push({ err, retryInMs }),
  });
}

afterEach(async () => {
  await store?.close();
  await server?.stop();
});

const thing = (name: string, spec: unknown = { n: 1 }): StoredObject => ({
  apiVersion: 'test.kedge.io/v1',
  kind: 'Thing',
  metadata: { name, namespace: 'default' },
  spec,
});
const things = () => server.objects.typeOf('test.kedge.io/v1', 'things')!;
const others = () => server.objects.typeOf('test.kedge.io/v1', 'others')!;
const watchRequests = () =>
  server.requests.filter((r) => r.path.endsWith('/things') && r.query.get('watch') === 'true');
const describeEvent = (e: WatchEvent) => `${e.type} ${e.object.metadata.name}`;

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('Kubernetes store watch', () => {
  it('asks for bookmarks and a server timeout, and resumes from the bookmark after the server ends the stream', async () => {
    await setup();
    await store.create(thing('a'));
    const listed = await store.list('Thing');
    const events: WatchEvent[] = [];
    await store.watch('Thing', listed.resourceVersion, (e) => events.push(e));
    expect(watchRequests()[0]!.query.get('allowWatchBookmarks')).toBe('true');
    expect(Number(watchRequests()[0]!.query.get('timeoutSeconds'))).toBeGreaterThanOrEqual(300);
    // Writes to another kind move the revision on; only a bookmark tells the Thing watch so.
    for (let i = 0; i < 5; i++) server.objects.create(others(), '', { metadata: { name: `o${i}` } });
    const othersAt = server.objects.state.rv;
    await new Promise((r) => setTimeout(r, 120));
    server.dropWatches();
    await until(() => watchRequests().length === 2, 'the re-watch');
    expect(Number(watchRequests()[1]!.query.get('resourceVersion'))).toBeGreaterThanOrEqual(othersAt);
    await store.create(thing('b'));
    await until(() => events.length >= 1, 'the event of b');
    await new Promise((r) => setTimeout(r, 100));
    expect(events.map(describeEvent)).toEqual(['ADDED b']);
  });

  it.each([
    ['an ERROR event in the stream', false],
    ['the HTTP status of the re-watch', true],
  ])('after 410 Gone (%s) relists and delivers exactly what changed meanwhile', async (_how, asStatus) => {
    await setup({ expiredAsHttpStatus: asStatus });
    for (const n of ['a', 'b', 'd']) await store.create(thing(n));
    const listed = await store.list('Thing');
    const events: WatchEvent[] = [];
    await store.watch('Thing', listed.resourceVersion, (e) => events.push(e));
    await store.create(thing('e'));
    await until(() => events.length === 1, 'ADDED e');
    // While no stream is open: c created, a changed, b deleted, history compacted.
    server.dropWatches();
    const a = server.objects.get(things(), 'default', 'a')!;
    server.objects.create(things(), 'default', thing('c'));
    server.objects.update(things(), 'default', 'a', { ...a, spec: { n: 2 } }, false);
    server.objects.delete(things(), 'default', 'b');
    server.compact();
    const compactedAt = server.objects.state.rv;
    await until(() => events.length === 4, 'the relist events');
    await new Promise((r) => setTimeout(r, 100));
    expect(events.slice(1).map(describeEvent).sort()).toEqual(['ADDED c', 'DELETED b', 'MODIFIED a']);
    const deleted = events.find((e) => e.type === 'DELETED')!;
    expect(Number(deleted.object.metadata.resourceVersion)).toBeGreaterThanOrEqual(compactedAt);
    expect(events.find((e) => e.type === 'MODIFIED')!.object.spec).toEqual({ n: 2 });
    // Watching again after the relist: the next change arrives once.
    await store.create(thing('f'));
    await until(() => events.length === 5, 'ADDED f');
    expect(describeEvent(events[4]!)).toBe('ADDED f');
    expect(server.requests.some((r) => r.path.endsWith('/things') && r.query.get('watch') !== 'true')).toBe(true);
  });

  it('backs off and resumes from where it was when the server refuses the watch', async () => {
    await setup();
    const listed = await store.list('Thing');
    const events: WatchEvent[] = [];
    await store.watch('Thing', listed.resourceVersion, (e) => events.push(e));
    await store.create(thing('a'));
    await until(() => events.length === 1, 'ADDED a');
    server.failNext('GET', /\/things$/, 500, 3);
    server.dropWatches();
    await store.create(thing('b'));
    await until(() => events.length === 2, 'ADDED b after the refusals');
    expect(events.map(describeEvent)).toEqual(['ADDED a', 'ADDED b']);
    expect(errors.map((e) => e.retryInMs)).toEqual([50, 100, 200]);
    expect(String((errors[0]!.err as { code?: string }).code)).toBe('KEDGE_CLOUD_STORE_KUBE_UNREACHABLE');
  });

  it('refuses a watch from a compacted revision with KEDGE_CLOUD_STORE_EXPIRED', async () => {
    await setup();
    const listed = await store.list('Thing');
    await store.create(thing('a'));
    await store.list('Thing'); // another list: the first one's revision is no longer the remembered one
    server.compact();
    await expect(store.watch('Thing', listed.resourceVersion, () => {})).rejects.toMatchObject({
      code: 'KEDGE_CLOUD_STORE_EXPIRED',
    });
  });

  it('a watch from an older revision that is still kept starts from the objects as they were then', async () => {
    await setup();
    await store.create(thing('a'));
    const listed = await store.list('Thing');
    await store.create(thing('b'));
    await store.list('Thing');
    const events: WatchEvent[] = [];
    await store.watch('Thing', listed.resourceVersion, (e) => events.push(e));
    await until(() => events.length === 1, 'ADDED b');
    await new Promise((r) => setTimeout(r, 100));
    expect(events.map(describeEvent)).toEqual(['ADDED b']);
  });

  it('a stopped watch delivers nothing more and closes its stream', async () => {
    await setup();
    const events: WatchEvent[] = [];
    const handle = await store.watch('Thing', (await store.list('Thing')).resourceVersion, (e) => events.push(e));
    await until(() => server.watchCount === 1, 'the stream');
    handle.stop();
    await until(() => server.watchCount === 0, 'the stream to close');
    await store.create(thing('a'));
    await new Promise((r) => setTimeout(r, 100));
    expect(events).toEqual([]);
  });
});

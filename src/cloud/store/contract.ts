import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LinkStateStore, ObjectStore, PkiStateStore, StoredObject, WatchEvent } from './types.js';

/**
 * The one behaviour every ObjectStore implementation must show (the SQLite store today, the
 * Kubernetes one later). `makeStore` returns an empty store; `dispose` releases what it took.
 */
export function describeObjectStoreContract(
  name: string,
  makeStore: () => Promise<{ store: ObjectStore; dispose: () => Promise<void> }>,
): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let store: ObjectStore;
    let dispose: () => Promise<void>;
    beforeEach(async () => {
      ({ store, dispose } = await makeStore());
    });
    afterEach(async () => {
      await dispose();
    });

    const thing = (
      n: string,
      spec: unknown = { a: 1 },
      labels?: Record<string, string>,
      ns = 'default',
    ): StoredObject => ({
      apiVersion: 'test.kedge.io/v1',
      kind: 'Thing',
      metadata: { name: n, namespace: ns, ...(labels ? { labels } : {}) },
      spec,
    });

    it('creates with a version, generation 1 and a uid, and gets it back', async () => {
      const created = await store.create(thing('a'));
      expect(Number(created.metadata.resourceVersion)).toBeGreaterThan(0);
      expect(created.metadata.generation).toBe(1);
      expect(created.metadata.uid).toBeTruthy();
      expect(await store.get('Thing', 'default', 'a')).toEqual(created);
      expect(await store.get('Thing', 'default', 'missing')).toBeUndefined();
      expect(await store.get('Thing', 'other', 'a')).toBeUndefined();
    });

    it('refuses to create an object twice', async () => {
      await store.create(thing('a'));
      await expect(store.create(thing('a'))).rejects.toMatchObject({ code: 'KEDGE_CLOUD_STORE_EXISTS' });
    });

    it('versions increase over all kinds in write order', async () => {
      const a = await store.create(thing('a'));
      const b = await store.create({ kind: 'Other', metadata: { name: 'b', namespace: '' } });
      const a2 = await store.update({ ...a, spec: { a: 2 } });
      const versions = [a, b, a2].map((o) => Number(o.metadata.resourceVersion));
      expect(versions).toEqual([...versions].sort((x, y) => x - y));
      expect(new Set(versions).size).toBe(3);
    });

    it('update with a stale resourceVersion conflicts; without one it wins', async () => {
      const a = await store.create(thing('a'));
      const a2 = await store.update({ ...a, spec: { a: 2 } });
      await expect(store.update({ ...a, spec: { a: 3 } })).rejects.toMatchObject({
        code: 'KEDGE_CLOUD_STORE_CONFLICT',
      });
      const { resourceVersion: _rv, ...meta } = a.metadata;
      const a3 = await store.update({ ...a, metadata: meta, spec: { a: 4 } });
      expect(a3.spec).toEqual({ a: 4 });
      expect(Number(a3.metadata.resourceVersion)).toBeGreaterThan(Number(a2.metadata.resourceVersion));
      await expect(store.update(thing('ghost'))).rejects.toMatchObject({ code: 'KEDGE_CLOUD_STORE_NOT_FOUND' });
    });

    it('update bumps generation on spec changes, keeps status, and is a no-op when nothing changed', async () => {
      const a = await store.create(thing('a'));
      const s = await store.updateStatus('Thing', 'default', 'a', { ok: true });
      expect(s.metadata.generation).toBe(1);
      const same = await store.update({ ...a, metadata: { ...a.metadata, resourceVersion: undefined } });
      expect(same.metadata.resourceVersion).toBe(s.metadata.resourceVersion);
      const changed = await store.update({
        ...a,
        spec: { a: 9 },
        status: { ignored: true },
        metadata: { ...a.metadata, resourceVersion: undefined },
      });
      expect(changed.metadata.generation).toBe(2);
      expect(changed.status).toEqual({ ok: true });
      expect(changed.metadata.uid).toBe(a.metadata.uid);
    });

    it('updateStatus checks the expected version', async () => {
      const a = await store.create(thing('a'));
      await store.updateStatus('Thing', 'default', 'a', { n: 1 }, a.metadata.resourceVersion);
      await expect(
        store.updateStatus('Thing', 'default', 'a', { n: 2 }, a.metadata.resourceVersion),
      ).rejects.toMatchObject({
        code: 'KEDGE_CLOUD_STORE_CONFLICT',
      });
      await expect(store.updateStatus('Thing', 'default', 'nope', {})).rejects.toMatchObject({
        code: 'KEDGE_CLOUD_STORE_NOT_FOUND',
      });
    });

    it('deletes, with optimistic concurrency, and answers undefined for a missing object', async () => {
      const a = await store.create(thing('a'));
      await store.update({ ...a, spec: { a: 2 }, metadata: { ...a.metadata, resourceVersion: undefined } });
      await expect(store.delete('Thing', 'default', 'a', a.metadata.resourceVersion)).rejects.toMatchObject({
        code: 'KEDGE_CLOUD_STORE_CONFLICT',
      });
      const gone = await store.delete('Thing', 'default', 'a');
      expect(gone?.metadata.name).toBe('a');
      expect(await store.get('Thing', 'default', 'a')).toBeUndefined();
      expect(await store.delete('Thing', 'default', 'a')).toBeUndefined();
    });

    it('lists by kind, namespace and label selector with the store version', async () => {
      await store.create(thing('a', {}, { app: 'x', tier: 'edge' }));
      await store.create(thing('b', {}, { app: 'y' }));
      await store.create(thing('c', {}, { app: 'x' }, 'plant'));
      await store.create({ kind: 'Other', metadata: { name: 'z', namespace: '' } });
      const all = await store.list('Thing');
      expect(all.items.map((o) => o.metadata.name).sort()).toEqual(['a', 'b', 'c']);
      expect(Number(all.resourceVersion)).toBeGreaterThanOrEqual(4);
      expect((await store.list('Thing', { namespace: 'plant' })).items.map((o) => o.metadata.name)).toEqual(['c']);
      const names = async (labelSelector: string) =>
        (await store.list('Thing', { labelSelector })).items.map((o) => o.metadata.name).sort();
      expect(await names('app=x')).toEqual(['a', 'c']);
      expect(await names('app!=x')).toEqual(['b']);
      expect(await names('tier')).toEqual(['a']);
      expect(await names('!tier')).toEqual(['b', 'c']);
      expect(await names('app=x,tier=edge')).toEqual(['a']);
    });

    it('watch replays history after a version, then delivers live events in version order', async () => {
      const a = await store.create(thing('a'));
      const listed = await store.list('Thing');
      await store.update({ ...a, spec: { a: 2 }, metadata: { ...a.metadata, resourceVersion: undefined } });
      const events: WatchEvent[] = [];
      const handle = await store.watch('Thing', listed.resourceVersion, (e) => events.push(e));
      await store.create(thing('b'));
      await store.create({ kind: 'Other', metadata: { name: 'o', namespace: '' } });
      await store.delete('Thing', 'default', 'a');
      await waitFor(() => events.length >= 3);
      expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['MODIFIED a', 'ADDED b', 'DELETED a']);
      const versions = events.map((e) => Number(e.object.metadata.resourceVersion));
      expect(versions).toEqual([...versions].sort((x, y) => x - y));
      const deleted = events[2]!.object;
      expect(Number(deleted.metadata.resourceVersion)).toBeGreaterThan(versions[1]!);
      handle.stop();
      await store.create(thing('c'));
      await flush();
      expect(events).toHaveLength(3);
    });

    it('a watcher that writes in its handler still sees every event once, in order', async () => {
      const seen: string[] = [];
      await store.watch('Thing', '0', (e) => {
        seen.push(`${e.type} ${e.object.metadata.name} ${e.object.metadata.resourceVersion}`);
        if (e.type === 'ADDED') void store.updateStatus('Thing', 'default', e.object.metadata.name, { seen: true });
      });
      await store.create(thing('a'));
      await waitFor(() => seen.length >= 2);
      expect(seen.map((s) => s.split(' ').slice(0, 2).join(' '))).toEqual(['ADDED a', 'MODIFIED a']);
    });
  });
}

/**
 * The behaviour every LinkStateStore must show (SQLite, etcd). `make(windowSize)` returns an
 * empty link state with that dedupe window; `dispose` releases what it took.
 */
export function describeLinkStateContract(
  name: string,
  make: (windowSize: number) => Promise<{ state: LinkStateStore; dispose: () => Promise<void> }>,
): void {
  describe(`LinkStateStore contract: ${name}`, () => {
    let dispose: (() => Promise<void>) | undefined;
    const open = async (windowSize = 2048) => {
      const made = await make(windowSize);
      dispose = made.dispose;
      return made.state;
    };
    afterEach(async () => {
      await dispose?.();
      dispose = undefined;
    });

    it('records acknowledged tokens per node and object', async () => {
      const state = await open();
      await state.setAcked('n1', 'device/default/a', '1');
      await state.setAcked('n1', 'device/default/a', '2');
      await state.setAcked('n2', 'device/default/a', '7');
      expect([...(await state.ackedObjects('n1'))]).toEqual([['device/default/a', '2']]);
      await state.removeAcked('n1', 'device/default/a');
      expect((await state.ackedObjects('n1')).size).toBe(0);
      expect((await state.ackedObjects('n2')).get('device/default/a')).toBe('7');
      expect((await state.ackedObjects('n10')).size).toBe(0);
    });

    it('keeps a bounded window of handled ids per node, oldest dropped first', async () => {
      const state = await open(3);
      await state.addHandled(['a', 'b', 'c', 'd'].map((id) => ({ node: 'n1', id })));
      await state.addHandled([{ node: 'n2', id: 'x' }]);
      await state.addHandled([{ node: 'n1', id: 'e' }]);
      expect(await state.handledIds('n1')).toEqual(['c', 'd', 'e']);
      expect(await state.handledIds('n2')).toEqual(['x']);
      expect(await state.handledIds('n10')).toEqual([]);
    });

    it('never keeps more than a quarter above the window, always the newest ids', async () => {
      const state = await open(40);
      for (let i = 0; i < 200; i++) {
        await state.addHandled([{ node: 'n1', id: `m${i}` }]);
        if (i % 10 !== 9) continue;
        const ids = await state.handledIds('n1');
        expect(ids.length).toBeLessThanOrEqual(50);
        expect(ids.at(-1)).toBe(`m${i}`);
        if (i >= 40) expect(ids.length).toBeGreaterThanOrEqual(40);
      }
    });

    it('forgets one handled id (a claim whose handling failed)', async () => {
      const state = await open(10);
      await state.addHandled(['a', 'b', 'c'].map((id) => ({ node: 'n1', id })));
      await state.addHandled([{ node: 'n2', id: 'b' }]);
      await state.removeHandled('n1', 'b');
      await state.removeHandled('n1', 'never-handled');
      expect(await state.handledIds('n1')).toEqual(['a', 'c']);
      expect(await state.handledIds('n2')).toEqual(['b']);
    });

    it('records the store a node acknowledged in; a new store forgets its acknowledgements only', async () => {
      const state = await open(10);
      expect(await state.storeOf('n1')).toBeUndefined();
      await state.resetNode('n1', 'store-aaaaaaaa');
      await state.setAcked('n1', 'Device/default/a', '1');
      await state.setAcked('n10', 'Device/default/a', '1');
      await state.addHandled([{ node: 'n1', id: 'm1' }]);
      expect(await state.storeOf('n1')).toBe('store-aaaaaaaa');
      await state.resetNode('n1', 'store-bbbbbbbb');
      expect(await state.storeOf('n1')).toBe('store-bbbbbbbb');
      expect((await state.ackedObjects('n1')).size).toBe(0);
      // Another node with the same prefix keeps its acknowledgements; handled ids stay (a resend
      // from the old store's outbox is still a duplicate).
      expect((await state.ackedObjects('n10')).size).toBe(1);
      expect(await state.handledIds('n1')).toEqual(['m1']);
    });

    it('records a batch larger than one transaction takes', async () => {
      const state = await open(1000);
      const batch = Array.from({ length: 300 }, (_, i) => ({ node: i % 2 ? 'odd' : 'even', id: `id-${i}` }));
      await state.addHandled(batch);
      expect(await state.handledIds('even')).toHaveLength(150);
      expect((await state.handledIds('odd')).at(-1)).toBe('id-299');
    });
  });
}

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!cond()) throw new Error('condition not reached');
}

/**
 * What every PkiStateStore must do (SQLite: one process; etcd and Kubernetes: replicas). `make`
 * gives two handles on one empty state, as two replicas hold them (SQLite: the same one twice).
 */
export function describePkiStateContract(
  name: string,
  make: () => Promise<{ a: PkiStateStore; b: PkiStateStore; dispose: () => Promise<void> }>,
): void {
  describe(`PkiStateStore contract: ${name}`, () => {
    let a: PkiStateStore;
    let b: PkiStateStore;
    let dispose: () => Promise<void>;
    beforeEach(async () => {
      ({ a, b, dispose } = await make());
    });
    afterEach(async () => {
      await dispose();
    });
    const NOW = 1_800_000_000_000;
    const hash = (c: string) => c.repeat(64);
    const token = (id: string, uses = 1, expiresAt = NOW + 60_000) => ({
      id,
      secretSha256: hash('a'),
      expiresAt,
      usesLeft: uses,
      createdAt: NOW,
    });

    it('keeps one CA: made once, the same for every replica, also when both make one at once', async () => {
      let made = 0;
      const create = (tag: string) => async () => {
        made++;
        return { certPem: `CERT ${tag}`, keyPem: `KEY ${tag}` };
      };
      const [x, y] = await Promise.all([a.sharedCa(create('a')), b.sharedCa(create('b'))]);
      expect(x.certPem).toBe(y.certPem);
      expect(x.keyPem).toBe(y.keyPem);
      expect(x.keyPem).toBe(`KEY ${x.certPem.slice('CERT '.length)}`); // the key of that certificate
      const again = await b.sharedCa(create('c'));
      expect(again.certPem).toBe(x.certPem);
      expect(made).toBeLessThanOrEqual(2);
      expect(again.source).toBeTruthy();
    });

    it('takes a use of a token once per use, on any replica; says why it refuses', async () => {
      await a.addToken(token('t1', 2));
      await expect(a.addToken(token('t1'))).rejects.toThrow();
      expect(await a.useToken('t1', hash('b'), NOW)).toBe('wrong_secret');
      expect(await a.useToken('t1', hash('a'), NOW)).toBeUndefined();
      expect(await b.useToken('t1', hash('a'), NOW)).toBeUndefined();
      expect(await a.useToken('t1', hash('a'), NOW)).toBe('used_up');
      expect(await b.useToken('nope', hash('a'), NOW)).toBe('unknown');
      await b.addToken(token('t2', 5, NOW - 1));
      expect(await a.useToken('t2', hash('a'), NOW)).toBe('expired');
    });

    it('gives the last use of a token to one of many joins racing on two replicas', async () => {
      await a.addToken(token('race', 1));
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).useToken('race', hash('a'), NOW)),
      );
      expect(results.filter((r) => r === undefined)).toHaveLength(1);
      expect(results.filter((r) => r === 'used_up')).toHaveLength(9);
    });

    it("answers a node's newest live certificate; revocation ends all of them, on every replica", async () => {
      await a.recordCertificate({ serial: 'A1', node: 'n1', issuedAt: NOW, notAfter: NOW + 1000 });
      await b.recordCertificate({ serial: 'A2', node: 'n1', issuedAt: NOW, notAfter: NOW + 2000 });
      await a.recordCertificate({ serial: 'B1', node: 'n10', issuedAt: NOW, notAfter: NOW + 2000 });
      await a.recordCertificate({ serial: 'OLD', node: 'n1', issuedAt: NOW - 5000, notAfter: NOW - 1 });
      expect(await b.activeCertificate('n1', NOW)).toEqual({ serial: 'A2', notAfter: NOW + 2000 });
      expect(await b.activeCertificate('n1', NOW + 3000)).toBeUndefined();
      expect(await a.activeCertificate('n2', NOW)).toBeUndefined();

      const seen: Array<[string, string[]]> = [];
      const watch = await b.watchRevocations(NOW, (node, serials) => void seen.push([node, [...serials].sort()]));
      expect(watch.revoked).toEqual([]);
      expect((await a.revokeNode('n1', NOW)).sort()).toEqual(['A1', 'A2']);
      await waitFor(() => seen.length > 0);
      expect(seen).toEqual([['n1', ['A1', 'A2']]]);
      expect(await b.activeCertificate('n1', NOW)).toBeUndefined();
      expect(await b.activeCertificate('n10', NOW)).toEqual({ serial: 'B1', notAfter: NOW + 2000 });
      expect(await b.revokeNode('n1', NOW)).toEqual([]);
      watch.stop();

      // A replica starting later finds the revocations that still matter (not yet expired).
      const later = await a.watchRevocations(NOW + 1500, () => undefined);
      expect(later.revoked).toEqual(['A2']);
      later.stop();
    });
  });
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeLinkStateContract, describeObjectStoreContract, describePkiStateContract } from './contract.js';
import { SqliteLinkState } from './link-state.js';
import { SqlitePkiState } from './sqlite-pki-state.js';
import { SqliteObjectStore } from './sqlite-store.js';

describePkiStateContract('sqlite (pki.db and the CA files)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kedge-pki-state-'));
  const state = new SqlitePkiState(join(dir, 'pki'));
  return {
    a: state,
    b: state,
    dispose: async () => {
      state.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describeObjectStoreContract('sqlite in memory', async () => {
  const store = new SqliteObjectStore({ file: ':memory:' });
  return { store, dispose: () => store.close() };
});

describeObjectStoreContract('sqlite file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kedge-cloud-store-'));
  const store = new SqliteObjectStore({ file: join(dir, 'cloud.db') });
  return {
    store,
    dispose: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteObjectStore specifics', () => {
  it('keeps objects and versions across a reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kedge-cloud-store-'));
    try {
      const file = join(dir, 'cloud.db');
      const first = new SqliteObjectStore({ file });
      const a = await first.create({ kind: 'Thing', metadata: { name: 'a', namespace: 'default' }, spec: { x: 1 } });
      await first.close();
      const second = new SqliteObjectStore({ file });
      expect(await second.get('Thing', 'default', 'a')).toEqual(a);
      const b = await second.create({ kind: 'Thing', metadata: { name: 'b', namespace: 'default' } });
      expect(Number(b.metadata.resourceVersion)).toBe(Number(a.metadata.resourceVersion) + 1);
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers KEDGE_CLOUD_STORE_EXPIRED for a watch older than the kept history', async () => {
    const store = new SqliteObjectStore({ file: ':memory:', historyLimit: 10 });
    for (let i = 0; i < 300; i++)
      await store.create({ kind: 'Thing', metadata: { name: `t${i}`, namespace: 'default' } });
    await expect(store.watch('Thing', '1', () => {})).rejects.toMatchObject({ code: 'KEDGE_CLOUD_STORE_EXPIRED' });
    const events: string[] = [];
    const h = await store.watch('Thing', '295', (e) => events.push(e.object.metadata.name));
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual(['t295', 't296', 't297', 't298', 't299']);
    h.stop();
    await store.close();
  });

  it('rejects a bad label selector and objects without a name', async () => {
    const store = new SqliteObjectStore({ file: ':memory:' });
    await expect(store.list('Thing', { labelSelector: 'a b' })).rejects.toMatchObject({
      code: 'KEDGE_CLOUD_STORE_SELECTOR',
    });
    await expect(store.create({ kind: 'Thing', metadata: { name: '' } })).rejects.toMatchObject({
      code: 'KEDGE_CLOUD_STORE_INVALID',
    });
    await store.close();
    await expect(store.get('Thing', '', 'a')).rejects.toMatchObject({ code: 'KEDGE_CLOUD_STORE_CLOSED' });
  });
});

describeLinkStateContract('sqlite in memory', async (windowSize) => {
  const store = new SqliteObjectStore({ file: ':memory:' });
  return { state: new SqliteLinkState(store.database, windowSize), dispose: () => store.close() };
});

describe('SqliteLinkState', () => {
  it('keeps the window bounded after a reopen', async () => {
    const store = new SqliteObjectStore({ file: ':memory:' });
    const state = new SqliteLinkState(store.database, 100);
    for (let i = 0; i < 300; i++) await state.addHandled([{ node: 'n1', id: `m${i}` }]);
    const again = new SqliteLinkState(store.database, 100);
    await again.addHandled([{ node: 'n1', id: 'late' }]);
    expect((await again.handledIds('n1')).length).toBeLessThanOrEqual(125);
    await store.close();
  });
});

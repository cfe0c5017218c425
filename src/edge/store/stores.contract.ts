import { afterEach, describe, expect, it } from 'vitest';
import type { MetaStore, PipelineStateStore, TwinRecord, TwinStore } from './types.js';

export interface StoreFixture<S> {
  store: S;
  reopen?: () => S;
  cleanup(): void;
}

function useFixture<S>(make: () => StoreFixture<S>) {
  let current: StoreFixture<S> | undefined;
  afterEach(() => {
    current?.cleanup();
    current = undefined;
  });
  return () => (current = make());
}

export function describeMetaStoreContract(name: string, make: () => StoreFixture<MetaStore>): void {
  describe(`MetaStore contract: ${name}`, () => {
    const open = useFixture(make);
    it('puts, gets, lists by type and deletes', () => {
      const { store } = open();
      const a = store.put('device', 'default/device/a', { x: 1 });
      expect(a).toMatchObject({ changed: true, created: true });
      store.put('devicemodel', 'default/devicemodel/m', { y: 2 });
      expect(store.get('device', 'default/device/a')?.value).toEqual({ x: 1 });
      expect(store.list('device').map((r) => r.key)).toEqual(['default/device/a']);
      expect(store.delete('device', 'default/device/a')).toBe(true);
      expect(store.delete('device', 'default/device/a')).toBe(false);
      expect(store.get('device', 'default/device/a')).toBeUndefined();
    });
    it('keeps the resource version for an identical value and increases it on change', () => {
      const { store } = open();
      const first = store.put('device', 'k', { v: 1 });
      const same = store.put('device', 'k', { v: 1 });
      expect(same).toEqual({ resourceVersion: first.resourceVersion, changed: false, created: false });
      const next = store.put('device', 'k', { v: 2 });
      expect(next.resourceVersion).toBeGreaterThan(first.resourceVersion);
      expect(next.changed).toBe(true);
      expect(store.put('device', 'k', { v: 3 }, 500).resourceVersion).toBe(500);
      expect(store.get('device', 'k')?.resourceVersion).toBe(500);
    });
    it('persists across reopening', () => {
      const f = open();
      if (!f.reopen) return expect(f.reopen).toBeUndefined();
      f.store.put('mapperset', 'n/mapperset/n', { mappers: [] });
      expect(f.reopen().get('mapperset', 'n/mapperset/n')?.value).toEqual({ mappers: [] });
    });
  });
}

const record: TwinRecord = {
  desired: { value: '1', ts: 5, version: 2, source: 'cloud' },
  reported: { value: '0', quality: 'good', ts: 6, version: 3 },
  pending: { value: '1', since: 5, deadline: 10_005 },
  cloudVersion: 2,
  edgeVersion: 0,
};

export function describeTwinStoreContract(name: string, make: () => StoreFixture<TwinStore>): void {
  describe(`TwinStore contract: ${name}`, () => {
    const open = useFixture(make);
    it('stores and loads records per device and property, overwriting', () => {
      const { store } = open();
      store.put('default/a', 'p', record);
      store.put('default/a', 'q', { cloudVersion: 0, edgeVersion: 1 });
      store.put('default/a', 'p', { ...record, failed: { value: '1', reason: 'timeout', ts: 9 } });
      const all = store.loadAll();
      expect(all.get('default/a')?.get('p')?.failed?.reason).toBe('timeout');
      expect(all.get('default/a')?.get('q')).toEqual({ cloudVersion: 0, edgeVersion: 1 });
    });
    it('stores device states and deletes a device with its state', () => {
      const { store } = open();
      store.put('default/a', 'p', record);
      store.putState('default/a', { state: 'online', ts: 3 });
      store.putState('default/b', { state: 'offline', reason: 'timeout', ts: 4 });
      expect(store.loadStates().get('default/b')).toEqual({ state: 'offline', reason: 'timeout', ts: 4 });
      store.deleteDevice('default/a');
      expect(store.loadAll().has('default/a')).toBe(false);
      expect(store.loadStates().has('default/a')).toBe(false);
    });
    it('journals reported values: newer ones override the row on load, a checkpoint folds and empties the journal', () => {
      const { store } = open();
      store.put('default/a', 'p', record);
      const journal = (reported: Record<string, NonNullable<TwinRecord['reported']>>) =>
        store.appendReported(
          'default/a',
          Object.keys(reported),
          new Map(Object.entries(reported).map(([p, r]) => [p, { cloudVersion: 0, edgeVersion: 0, reported: r }])),
        );
      expect(journal({ p: { value: '1', quality: 'good', ts: 7, version: 4 } })).toBe(true);
      journal({
        p: { value: '2', quality: 'uncertain', ts: 8, version: 5, reason: 'holding last good value: spike' },
        new: { value: 'x', quality: 'good', ts: 8, version: 1 },
      });
      // Older than the row (version 3): ignored.
      journal({ p: { value: 'old', quality: 'good', ts: 1, version: 2 } });
      // Properties without a reported value write no row.
      expect(store.appendReported('default/a', ['p', 'q'], new Map([['p', { cloudVersion: 0, edgeVersion: 0 }]]))).toBe(
        false,
      );
      const loaded = store.loadAll().get('default/a')!;
      expect(loaded.get('p')?.reported).toEqual({
        value: '2',
        quality: 'uncertain',
        ts: 8,
        version: 5,
        reason: 'holding last good value: spike',
      });
      expect(loaded.get('p')?.desired).toEqual(record.desired);
      expect(loaded.get('new')).toEqual({
        cloudVersion: 0,
        edgeVersion: 0,
        reported: { value: 'x', quality: 'good', ts: 8, version: 1 },
      });
      store.checkpoint([
        {
          deviceId: 'default/a',
          property: 'p',
          record: { ...record, reported: { value: '9', quality: 'good', ts: 9, version: 6 } },
        },
      ]);
      const after = store.loadAll().get('default/a')!;
      expect(after.get('p')?.reported?.value).toBe('9');
      expect(after.has('new')).toBe(false);
    });

    it('persists across reopening', () => {
      const f = open();
      if (!f.reopen) return expect(f.reopen).toBeUndefined();
      f.store.put('default/a', 'p', record);
      expect(f.reopen().loadAll().get('default/a')?.get('p')).toEqual(record);
    });
  });
}

export function describePipelineStateStoreContract(name: string, make: () => StoreFixture<PipelineStateStore>): void {
  describe(`PipelineStateStore contract: ${name}`, () => {
    const open = useFixture(make);
    const snap = (n: number) =>
      ({
        version: 1,
        convert: '',
        reference: { value: n, ts: 1 },
        spikeCandidate: null,
        window: [],
        ema: null,
        lastGood: null,
      }) as never;
    it('replaces all snapshots on save and deletes by key', () => {
      const { store } = open();
      store.saveAll({ 'default/a/p': snap(1), 'default/a/q': snap(2) });
      store.saveAll({ 'default/a/p': snap(3) });
      expect(Object.keys(store.loadAll())).toEqual(['default/a/p']);
      expect((store.loadAll()['default/a/p'] as { reference: { value: number } }).reference.value).toBe(3);
      store.delete(['default/a/p']);
      expect(store.loadAll()).toEqual({});
    });
  });
}

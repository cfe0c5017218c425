import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock/index.js';
import { newMessage } from '../../core/message/index.js';
import type { OutboxBounds, OutboxEntryInput, OutboxKind, OutboxStore } from './types.js';

export interface OutboxFixture {
  store: OutboxStore;
  /** Closes and reopens the same storage (for persistence); undefined for memory-only stores. */
  reopen?: () => OutboxStore;
  cleanup(): void;
}

function entry(kind: OutboxKind, key: string, n: number, pad = 0): OutboxEntryInput {
  const message = newMessage(
    { source: 'twin', group: 'twin', operation: 'update', resource: `node/n/default/${kind}/${key}` },
    { n, pad: 'x'.repeat(pad) },
    { id: `m-${key}-${n}`, now: 1 },
  );
  return { kind, key, message };
}

/** The one behaviour every OutboxStore implementation must have. */
export function describeOutboxStoreContract(
  name: string,
  make: (bounds: Partial<OutboxBounds>, clock: ManualClock) => OutboxFixture,
): void {
  describe(`OutboxStore contract: ${name}`, () => {
    let fixture: OutboxFixture | undefined;
    const open = (bounds: Partial<OutboxBounds> = {}, clock = new ManualClock(1_000_000)) =>
      (fixture = make(bounds, clock));
    afterEach(() => {
      fixture?.cleanup();
      fixture = undefined;
    });

    it('takeLatest removes and returns the newest entry of one kind and key, and keeps the totals', () => {
      const { store } = open();
      store.append([entry('twin', 'a', 1), entry('reading', 'a', 2), entry('twin', 'a', 3), entry('twin', 'b', 4)]);
      const before = store.stats();
      const taken = store.takeLatest('twin', 'a');
      expect((taken!.message.content as { n: number }).n).toBe(3);
      expect(taken!.msgId).toBe('m-a-3');
      expect(store.stats().count).toBe(before.count - 1);
      expect(store.stats().bytes).toBe(before.bytes - taken!.bytes);
      expect(store.peek(10, 1 << 20).map((e) => (e.message.content as { n: number }).n)).toEqual([1, 2, 4]);
      expect(store.takeLatest('state', 'a')).toBeUndefined();
    });

    it('appends in one call and peeks oldest first, keeping each device in order', () => {
      const { store } = open();
      const ids = store.append([entry('reading', 'a', 1), entry('twin', 'b', 1), entry('reading', 'a', 2)]);
      expect(ids).toHaveLength(3);
      expect(ids[0]! < ids[1]! && ids[1]! < ids[2]!).toBe(true);
      const peeked = store.peek(10, 1 << 20);
      expect(peeked.map((e) => `${e.key}:${(e.message.content as { n: number }).n}`)).toEqual(['a:1', 'b:1', 'a:2']);
      expect(peeked[1]!.kind).toBe('twin');
      expect(peeked[0]!.message.header.msg_id).toBe('m-a-1');
      expect(peeked[0]!.msgId).toBe('m-a-1');
    });

    it('peek respects limit and maxBytes but always returns the first entry', () => {
      const { store } = open();
      store.append([entry('reading', 'a', 1, 1000), entry('reading', 'a', 2, 1000), entry('reading', 'a', 3)]);
      expect(store.peek(2, 1 << 20)).toHaveLength(2);
      expect(store.peek(10, 10)).toHaveLength(1);
      const first = store.peek(10, 10)[0]!;
      expect(store.peek(10, first.bytes * 2 + 1)).toHaveLength(2);
    });

    it('peekAfter reads on after an id, oldest first, with the stored body', () => {
      const { store } = open();
      const ids = store.append([entry('reading', 'a', 1), entry('twin', 'b', 1), entry('reading', 'a', 2)]);
      const after = store.peekAfter(ids[0]!, 10, 1 << 20);
      expect(after.map((e) => e.id)).toEqual([ids[1], ids[2]]);
      expect(after[0]!.body).toBe(JSON.stringify(after[0]!.message));
      expect(store.peekAfter(ids[0]!, 1, 1 << 20).map((e) => e.id)).toEqual([ids[1]]);
      expect(store.peekAfter(ids[2]!, 10, 1 << 20)).toEqual([]);
    });

    it('ack removes exactly the given ids and updates stats', () => {
      const { store } = open();
      const ids = store.append([entry('reading', 'a', 1), entry('state', 'a', 2), entry('reading', 'a', 3)]);
      const before = store.stats();
      expect(before.count).toBe(3);
      expect(store.ack([ids[0]!, ids[2]!, 999_999])).toBe(2);
      const after = store.stats();
      expect(after.count).toBe(1);
      expect(after.bytes).toBeLessThan(before.bytes);
      expect(store.peek(10, 1 << 20).map((e) => e.id)).toEqual([ids[1]]);
      expect(after.oldestTs).toBe(1_000_000);
    });

    it('drops the oldest readings first when over maxBytes, never twin or state, and counts it', () => {
      const { store } = open({ maxBytes: 2000 });
      store.append([
        entry('twin', 'a', 1, 300),
        entry('reading', 'a', 2, 300),
        entry('state', 'a', 3, 300),
        entry('reading', 'a', 4, 300),
      ]);
      store.append([entry('reading', 'a', 5, 600), entry('reading', 'a', 6, 600)]);
      const stats = store.stats();
      expect(stats.bytes).toBeLessThanOrEqual(2000);
      expect(stats.dropped.bySize).toBeGreaterThanOrEqual(1);
      const kept = store.peek(100, 1 << 30).map((e) => `${e.kind}:${(e.message.content as { n: number }).n}`);
      expect(kept).toContain('twin:1');
      expect(kept).toContain('state:3');
      expect(kept).not.toContain('reading:2');
      expect(kept).toContain('reading:6');
    });

    it('keeps twin and state entries even when they alone exceed maxBytes', () => {
      const { store } = open({ maxBytes: 100 });
      store.append([entry('twin', 'a', 1, 200), entry('state', 'b', 2, 200)]);
      expect(store.stats().count).toBe(2);
      expect(store.stats().dropped.bySize).toBe(0);
    });

    it('drops readings older than maxAgeMs on a later append, counted as byAge', () => {
      const clock = new ManualClock(1_000_000);
      const { store } = open({ maxAgeMs: 60_000 }, clock);
      store.append([entry('reading', 'a', 1), entry('twin', 'a', 2)]);
      clock.advance(120_000);
      store.append([entry('reading', 'a', 3)]);
      const kinds = store.peek(10, 1 << 20).map((e) => `${e.kind}:${(e.message.content as { n: number }).n}`);
      expect(kinds).toEqual(['twin:2', 'reading:3']);
      expect(store.stats().dropped.byAge).toBe(1);
    });

    it('survives reopening with order and totals intact', () => {
      const f = open();
      if (!f.reopen) return expect(f.reopen).toBeUndefined();
      f.store.append([entry('reading', 'a', 1), entry('twin', 'a', 2)]);
      const before = f.store.stats();
      const again = f.reopen();
      expect(again.stats().count).toBe(before.count);
      expect(again.stats().bytes).toBe(before.bytes);
      expect(again.peek(10, 1 << 20).map((e) => (e.message.content as { n: number }).n)).toEqual([1, 2]);
    });
  });
}

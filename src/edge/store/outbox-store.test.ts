import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock/index.js';
import { newMessage } from '../../core/message/index.js';
import { DbHandle } from './db.js';
import { describeOutboxStoreContract } from './outbox-store.contract.js';
import { SqliteOutboxStore } from './outbox-store.js';

describeOutboxStoreContract('SQLite', (bounds, clock) => {
  const dir = mkdtempSync(join(tmpdir(), 'kedge-outbox-'));
  let handle = new DbHandle(join(dir, 'edge.db'));
  handle.open();
  const store = new SqliteOutboxStore(handle, { clock, bounds });
  return {
    store,
    reopen: () => {
      handle.close();
      handle = new DbHandle(join(dir, 'edge.db'));
      handle.open();
      return new SqliteOutboxStore(handle, { clock, bounds });
    },
    cleanup: () => {
      handle.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteOutboxStore metrics', () => {
  it('counts drops on the prom-client counter by cause', async () => {
    const registry = new Registry();
    const handle = new DbHandle(':memory:');
    handle.open();
    const store = new SqliteOutboxStore(handle, { clock: new ManualClock(0), bounds: { maxBytes: 500 }, registry });
    const msg = (n: number) => newMessage({ operation: 'upload' }, { n, pad: 'y'.repeat(200) });
    store.append([{ kind: 'reading', key: 'a', message: msg(1) }]);
    store.append([{ kind: 'reading', key: 'a', message: msg(2) }]);
    const text = await registry.metrics();
    expect(text).toMatch(/kedge_outbox_dropped_total\{cause="size"\} 1/);
    handle.close();
  });

  it('shows the backlog: messages, bytes and the age of the oldest, read when scraped', async () => {
    const registry = new Registry();
    const handle = new DbHandle(':memory:');
    handle.open();
    const clock = new ManualClock(10_000);
    const store = new SqliteOutboxStore(handle, { clock, registry });
    const value = async (name: string) =>
      Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await registry.metrics())?.[1]);
    expect(await value('kedge_outbox_messages')).toBe(0);
    expect(await value('kedge_outbox_oldest_age_seconds')).toBe(0);
    const ids = store.append([{ kind: 'reading', key: 'a', message: newMessage({ operation: 'upload' }, { n: 1 }) }]);
    clock.advance(2500);
    store.append([{ kind: 'reading', key: 'a', message: newMessage({ operation: 'upload' }, { n: 2 }) }]);
    clock.advance(500);
    expect(await value('kedge_outbox_messages')).toBe(2);
    expect(await value('kedge_outbox_bytes')).toBe(store.stats().bytes);
    expect(await value('kedge_outbox_oldest_age_seconds')).toBe(3);
    store.ack(ids);
    expect(await value('kedge_outbox_oldest_age_seconds')).toBe(0.5);
    handle.close();
  });
});

describe('SqliteOutboxStore rows from before migration 4', () => {
  it('reads the message id out of the body when the row has none', () => {
    const handle = new DbHandle(':memory:');
    handle.open();
    const store = new SqliteOutboxStore(handle, { clock: new ManualClock(0) });
    const body = JSON.stringify(newMessage({ operation: 'upload' }, { n: 1 }, { id: 'old-1' }));
    handle.db
      .prepare('INSERT INTO outbox (kind, key, ts, bytes, body) VALUES (?, ?, ?, ?, ?)')
      .run('reading', 'a', 0, body.length, body);
    const [entry] = store.peekAfter(0, 10, 1 << 20);
    expect(entry!.msgId).toBe('old-1');
    expect(entry!.body).toBe(body);
    handle.close();
  });
});

import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock/index.js';
import { newMessage } from '../../core/message/index.js';
import type { OutboxEntry } from '../store/index.js';
import { OutboxSender, type SenderOptions } from './sender.js';

/** An in-memory outbox with the store's peekAfter semantics (oldest first). */
function memoryOutbox(count: number, bytes = 100) {
  const rows: OutboxEntry[] = Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    kind: 'reading',
    key: 'default/d1',
    ts: 1000 + i,
    bytes,
    msgId: `m${i + 1}`,
    message: newMessage({ operation: 'upload' }, { n: i + 1 }, { id: `m${i + 1}` }),
  }));
  return {
    rows,
    peekAfter: (afterId: number, limit: number) => rows.filter((r) => r.id > afterId).slice(0, limit),
    ack: (ids: number[]) => {
      let n = 0;
      for (const id of ids) {
        const i = rows.findIndex((r) => r.id === id);
        if (i < 0) continue;
        rows.splice(i, 1);
        n++;
      }
      return n;
    },
    stats: () => ({
      count: rows.length,
      bytes: rows.length * bytes,
      oldestTs: 0,
      dropped: { bySize: 0, byAge: 0, byDisk: 0, readings: 0 },
    }),
  };
}

const turn = () => new Promise((r) => setImmediate(r));
async function turns(n: number) {
  for (let i = 0; i < n; i++) await turn();
}

function setup(count: number, options: Partial<SenderOptions>) {
  const outbox = memoryOutbox(count);
  const clock = new ManualClock(0);
  const sent: string[] = [];
  const sender = new OutboxSender(
    outbox,
    { window: 1000, batch: 10, drainRatePerSec: 100, maxFrameBytes: 1e6, ...options },
    clock,
    {
      send: (e) => void sent.push(e.message.header.msg_id),
      oversized: () => undefined,
    },
  );
  return { outbox, clock, sent, sender };
}

describe('OutboxSender', () => {
  it('drains a backlog after a reconnect at the configured rate, in order', async () => {
    const { clock, sent, sender } = setup(500, { drainRatePerSec: 100, batch: 10 });
    sender.connected();
    expect(sender.isDraining).toBe(true);
    await turns(20);
    expect(sent).toHaveLength(10); // the first batch, then it waits for tokens
    for (let ms = 0; ms < 1000; ms += 10) {
      clock.advance(10);
      await turns(3);
    }
    expect(sent.length).toBeGreaterThanOrEqual(100);
    expect(sent.length).toBeLessThanOrEqual(120);
    expect(sent).toEqual(sent.map((_, i) => `m${i + 1}`));
    sender.disconnected();
    expect(clock.pending).toBe(0);
  });

  it('sends without a rate limit once caught up, only bounded by the window', async () => {
    const { outbox, sent, sender } = setup(5, { window: 3, batch: 10 });
    sender.connected();
    expect(sender.isDraining).toBe(false);
    await turns(5);
    expect(sent).toEqual(['m1', 'm2', 'm3']);
    expect(sender.acknowledged('m2')).toBe(1001); // when m2 was committed: the latency's start
    await turns(5);
    expect(sent).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(outbox.rows.map((r) => r.id)).toEqual([1, 3, 4, 5]);
    expect(sender.acknowledged('nope')).toBeUndefined();
  });

  it('starts over from the oldest unacknowledged entry on the next connection', async () => {
    const { sent, sender } = setup(3, {});
    sender.connected();
    await turns(3);
    sender.acknowledged('m1');
    sender.disconnected();
    sender.connected();
    await turns(3);
    expect(sent).toEqual(['m1', 'm2', 'm3', 'm2', 'm3']);
  });
});

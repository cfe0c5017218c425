import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OfflineBuffer, spill, unspill, type HeldMessage } from './offline-buffer.js';

const msg = (n: number, bytes = 100): HeldMessage => ({
  topic: `$ke/events/device/default/d${n % 3}/data/raw`,
  payload: Buffer.from(JSON.stringify({ n, pad: 'x'.repeat(bytes) })),
  readings: 2,
});
const ns = (ms: HeldMessage[]) => ms.map((m) => (JSON.parse(m.payload.toString()) as { n: number }).n);

describe('OfflineBuffer', () => {
  it('holds messages in order and drops the oldest beyond its bound, counted per reading', () => {
    const b = new OfflineBuffer(2000);
    let dropped = 0;
    for (let i = 0; i < 30; i++) dropped += b.push(msg(i));
    expect(b.bytes).toBeLessThanOrEqual(2000);
    expect(dropped).toBe(b.droppedReadings);
    expect(b.droppedReadings).toBe(b.droppedMessages * 2);
    const kept = ns(b.takeAll());
    expect(kept.at(-1)).toBe(29);
    expect(kept).toEqual(kept.map((_, i) => kept[0]! + i)); // the newest, without a gap
    expect(kept.length + b.droppedMessages).toBe(30);
    expect(b.length).toBe(0);
  });

  it('puts an earlier run before what it holds, and shifts oldest first', () => {
    const b = new OfflineBuffer(1 << 20);
    b.push(msg(10));
    b.push(msg(11));
    b.prepend([msg(1), msg(2)]);
    expect(b.readings).toBe(8);
    expect(ns([b.shift()!, b.shift()!])).toEqual([1, 2]);
    expect(ns(b.takeAll())).toEqual([10, 11]);
  });

  it('never holds a message larger than the whole bound', () => {
    const b = new OfflineBuffer(500);
    expect(b.push(msg(1, 1000))).toBe(2);
    expect(b.length).toBe(0);
  });
});

describe('the held-readings file', () => {
  it('round-trips messages in order, removes the file, and skips malformed lines', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kedge-held-')), 'held.txt');
    spill(file, [msg(1), msg(2), msg(3)], 42);
    writeFileSync(file, `${readFileSync(file, 'utf8')}garbage line\n`);
    const { messages, malformed, droppedReadings } = unspill(file);
    expect(droppedReadings).toBe(42);
    expect(ns(messages)).toEqual([1, 2, 3]);
    expect(messages[0]!.topic).toBe('$ke/events/device/default/d1/data/raw');
    expect(messages[0]!.readings).toBe(2);
    expect(malformed).toBe(1);
    expect(unspill(file)).toEqual({ messages: [], malformed: 0, droppedReadings: 0 });
  });
});

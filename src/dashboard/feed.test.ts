import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock/index.js';
import { LiveFeed, type FeedClient, type FeedSink } from './feed.js';

// biome-ignore lint/suspicious/noExplicitAny: a test reads JSON as sent and asserts on it field by field
type Json = Record<string, any>;

/** A browser: the events it got, parsed. */
function browser(limit = Number.POSITIVE_INFINITY) {
  const events: Array<{ event: string; data: Json }> = [];
  let ended = false;
  let written = 0;
  const client: FeedClient = {
    write(text) {
      written += text.length;
      for (const block of text.split('\n\n')) {
        const name = /^event: (.+)$/m.exec(block)?.[1];
        const data = /^data: (.+)$/m.exec(block)?.[1];
        if (name && data) events.push({ event: name, data: JSON.parse(data) as Json });
      }
      return written < limit;
    },
    end: () => void (ended = true),
  };
  return { client, events, ended: () => ended };
}

function setup() {
  const clock = new ManualClock(1_000_000);
  let sink: FeedSink | undefined;
  let starts = 0;
  let stops = 0;
  const feed = new LiveFeed({
    clock,
    graceMs: 60_000,
    historyPoints: 3,
    source: {
      async start(s) {
        starts++;
        sink = s;
        s.twin({
          id: 'default/pump',
          state: 'online',
          properties: {
            temp: { reported: { value: '20.5', quality: 'good', ts: 999_000, version: 1 } },
            sp: { desired: { value: '30', ts: 999_500, version: 2 }, pending: true },
          },
        });
        return () => void stops++;
      },
    },
  });
  return { clock, feed, sink: () => sink!, counts: () => ({ starts, stops }) };
}

describe('LiveFeed', () => {
  it('starts its source for the first browser, sends a snapshot, then updates coalesced per tick', async () => {
    const { clock, feed, sink, counts } = setup();
    expect(feed.active).toBe(false);
    const b = browser();
    await feed.attach(b.client);
    expect(counts().starts).toBe(1);
    const snap = b.events[0]!;
    expect(snap.event).toBe('snapshot');
    expect(snap.data.devices['default/pump']).toMatchObject({
      state: { state: 'online' },
      twin: { sp: { pending: true } },
      props: { temp: { value: 20.5, quality: 'good', ts: 999_000, t: [999_000], v: [20.5] } },
    });
    // Three readings of temp in one tick: the browser gets the newest, and one point.
    for (const [i, v] of [21, 22, 23].entries())
      sink().readings('default/pump', [
        { property: 'temp', value: v, unit: 'degC', quality: 'good', ts: 1_000_100 + i },
      ]);
    sink().readings('default/pump', [
      { property: 'flow', value: null, quality: 'bad', reason: 'exception 2 (Illegal Data Address)', ts: 1_000_200 },
    ]);
    sink().state('default/pump', 'unhealthy', 'timeouts', 1_000_300);
    expect(b.events).toHaveLength(1);
    clock.advance(1000);
    const update = b.events[1]!;
    expect(update.event).toBe('update');
    // Compact: [value, quality, ts, reason (or null), unit when it changed].
    expect(update.data.devices['default/pump']).toEqual({
      state: { state: 'unhealthy', reason: 'timeouts', ts: 1_000_300 },
      props: {
        temp: [23, 'good', 1_000_102, null, 'degC'],
        flow: [null, 'bad', 1_000_200, 'exception 2 (Illegal Data Address)'],
      },
    });
    sink().reading('default/pump', 'temp', 24, 'good', 1_001_100, 'degC');
    clock.advance(1000);
    expect(b.events[2]!.data.devices['default/pump'].props).toEqual({ temp: [24, 'good', 1_001_100] });
    clock.advance(1000);
    expect(b.events).toHaveLength(3); // nothing changed: nothing sent
    sink().nodes();
    clock.advance(1000);
    expect(b.events[3]!.data).toMatchObject({ nodes: true, devices: {} });
  });

  it('keeps a bounded history per property for the next browser; an older reading never replaces a newer', async () => {
    const { clock, feed, sink } = setup();
    await feed.attach(browser().client);
    for (let i = 1; i <= 5; i++) {
      clock.advance(1000);
      sink().readings('default/pump', [{ property: 'temp', value: i, quality: 'good', ts: clock.now() }]);
    }
    sink().readings('default/pump', [{ property: 'temp', value: -1, quality: 'good', ts: clock.now() - 5000 }]);
    const late = browser();
    await feed.attach(late.client);
    const temp = late.events[0]!.data.devices['default/pump'].props.temp;
    expect(temp.value).toBe(5);
    expect(temp.v).toEqual([3, 4, 5]);
  });

  it('stops the source a grace period after the last browser left; a browser that cannot keep up is dropped', async () => {
    const { clock, feed, sink, counts } = setup();
    const slow = browser(10);
    await feed.attach(slow.client);
    expect(slow.ended()).toBe(true); // the snapshot alone was too much
    expect(feed.watching).toBe(0);
    const b = browser();
    const detach = await feed.attach(b.client);
    expect(counts().starts).toBe(1);
    detach();
    clock.advance(59_000);
    expect(counts().stops).toBe(0);
    const again = await feed.attach(browser().client);
    clock.advance(120_000);
    expect(counts().stops).toBe(0);
    again();
    clock.advance(60_000);
    expect(counts()).toEqual({ starts: 1, stops: 1 });
    expect(feed.active).toBe(false);
    sink().readings('default/pump', [{ property: 'temp', value: 1, quality: 'good', ts: 1 }]);
    await feed.attach(browser().client);
    expect(counts().starts).toBe(2);
    feed.close();
    expect(clock.pending).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { silentLogger } from '../log/index.js';
import { Bus } from './index.js';

type Channels = { reading: { device: string; value: number }; note: string };
type Requests = {
  twinGet: { request: { device: string }; response: { value: number } };
  slow: { request: null; response: string };
};

const twin = { name: 'twin', group: 'twin' };
const hub = { name: 'edgehub', group: 'hub' };
const meta = { name: 'metamanager', group: 'meta' };

function newBus() {
  return new Bus<Channels, Requests>({ logger: silentLogger(), requestTimeoutMs: 50 });
}

describe('Bus', () => {
  it('publishes to every subscriber in order', () => {
    const bus = newBus();
    const seen: string[] = [];
    bus.subscribe('reading', twin, (r) => void seen.push(`twin:${r.value}`));
    bus.subscribe('reading', hub, (r) => void seen.push(`hub:${r.value}`));
    expect(bus.publish('reading', { device: 'a', value: 1 })).toBe(2);
    bus.publish('reading', { device: 'a', value: 2 });
    expect(seen).toEqual(['twin:1', 'hub:1', 'twin:2', 'hub:2']);
  });

  it('sends to one module or one group only', () => {
    const bus = newBus();
    const seen: string[] = [];
    for (const e of [twin, hub, meta]) bus.subscribe('note', e, (n) => void seen.push(`${e.name}:${n}`));
    expect(bus.sendToModule('edgehub', 'note', 'x')).toBe(1);
    expect(bus.sendToGroup('meta', 'note', 'y')).toBe(1);
    expect(bus.sendToGroup('nobody', 'note', 'z')).toBe(0);
    expect(seen).toEqual(['edgehub:x', 'metamanager:y']);
  });

  it('keeps delivering when a handler throws or rejects, and counts the failures', async () => {
    const bus = newBus();
    const seen: number[] = [];
    bus.subscribe('reading', twin, () => {
      throw new Error('boom');
    });
    bus.subscribe('reading', meta, async () => {
      throw new Error('async boom');
    });
    bus.subscribe('reading', hub, (r) => void seen.push(r.value));
    bus.publish('reading', { device: 'a', value: 7 });
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([7]);
    expect(bus.failedDeliveries).toBe(2);
  });

  it('unsubscribes', () => {
    const bus = newBus();
    let count = 0;
    const off = bus.subscribe('note', twin, () => void count++);
    bus.publish('note', 'a');
    off();
    bus.publish('note', 'b');
    expect(count).toBe(1);
  });

  it('answers requests', async () => {
    const bus = newBus();
    bus.serve('twinGet', twin, ({ device }) => ({ value: device.length }));
    await expect(bus.request('twinGet', { device: 'abc' })).resolves.toEqual({ value: 3 });
  });

  it('rejects a request nobody answers in time with KEDGE_BUS_TIMEOUT', async () => {
    const bus = newBus();
    bus.serve('slow', twin, () => new Promise<string>(() => undefined));
    await expect(bus.request('slow', null, 20)).rejects.toMatchObject({
      code: 'KEDGE_BUS_TIMEOUT',
      message: expect.stringContaining('twin'),
    });
  });

  it('rejects a request without a server and passes a server error through', async () => {
    const bus = newBus();
    await expect(bus.request('twinGet', { device: 'a' })).rejects.toMatchObject({ code: 'KEDGE_BUS_NO_HANDLER' });
    bus.serve('twinGet', twin, () => {
      throw new Error('no such device');
    });
    await expect(bus.request('twinGet', { device: 'a' })).rejects.toThrow('no such device');
  });

  it('refuses a second server for the same request', () => {
    const bus = newBus();
    bus.serve('twinGet', twin, () => ({ value: 1 }));
    expect(() => bus.serve('twinGet', meta, () => ({ value: 2 }))).toThrow(/already served by module twin/);
  });
  it('is closed: an undeclared channel or request, or a payload of another shape, does not compile', () => {
    const bus = newBus();
    const misuse = () => {
      // @ts-expect-error a misspelt channel
      bus.publish('raeding', { device: 'a', value: 1 });
      // @ts-expect-error a payload of another shape
      bus.publish('reading', { device: 'a', value: '1' });
      // @ts-expect-error a request nobody declared
      void bus.request('twinSet', { device: 'a' });
      // @ts-expect-error subscribing to an undeclared channel
      bus.subscribe('notes', twin, () => undefined);
    };
    // Type checks above (npm test type-checks the tests); at run time the bus does what it is told.
    expect(typeof misuse).toBe('function');
    expect(bus.publish('note', 'x')).toBe(0);
  });
  it('refuses a publish on a boundary channel from inside a handler, and counts it; outside a handler it is delivered', () => {
    const bus = new Bus<Channels, Requests>({ logger: silentLogger(), boundaryChannels: ['reading'] });
    const seen: number[] = [];
    bus.subscribe('reading', twin, (r) => void seen.push(r.value));
    bus.subscribe('note', hub, () => {
      bus.publish('reading', { device: 'a', value: 2 });
    });
    expect(bus.publish('note', 'x')).toBe(1);
    expect(seen).toEqual([]);
    expect(bus.failedDeliveries).toBe(1);
    queueMicrotask(() => bus.publish('reading', { device: 'a', value: 3 }));
    bus.publish('reading', { device: 'a', value: 1 });
    return Promise.resolve().then(() => expect(seen).toEqual([1, 3]));
  });
});

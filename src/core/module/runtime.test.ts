import { describe, expect, it } from 'vitest';
import { silentLogger } from '../log/index.js';
import { ModuleRuntime, type Module } from './index.js';

function recorder() {
  const events: string[] = [];
  const make = (name: string, opts: { failStart?: boolean; hangStop?: boolean } = {}): Module => ({
    name,
    group: 'test',
    async start() {
      if (opts.failStart) throw new Error(`${name} cannot bind its port`);
      events.push(`start:${name}`);
    },
    async stop() {
      if (opts.hangStop) return new Promise<void>(() => undefined);
      events.push(`stop:${name}`);
    },
  });
  return { events, make };
}

describe('ModuleRuntime', () => {
  it('starts in order and stops in reverse order', async () => {
    const { events, make } = recorder();
    const rt = new ModuleRuntime([make('a'), make('b'), make('c')], { logger: silentLogger() });
    await rt.start();
    expect(rt.started).toEqual(['a', 'b', 'c']);
    await rt.stop();
    expect(events).toEqual(['start:a', 'start:b', 'start:c', 'stop:c', 'stop:b', 'stop:a']);
    expect(rt.started).toEqual([]);
  });

  it('stops the started modules when one throws during start, and reports which', async () => {
    const { events, make } = recorder();
    const rt = new ModuleRuntime([make('a'), make('b'), make('bad', { failStart: true }), make('d')], {
      logger: silentLogger(),
    });
    await expect(rt.start()).rejects.toMatchObject({
      code: 'KEDGE_MODULE_START_FAILED',
      message: expect.stringContaining('module bad failed to start: bad cannot bind its port'),
    });
    expect(events).toEqual(['start:a', 'start:b', 'stop:b', 'stop:a']);
  });

  it('moves on when a module hangs in stop', async () => {
    const { events, make } = recorder();
    const rt = new ModuleRuntime([make('a'), make('hang', { hangStop: true }), make('c')], {
      logger: silentLogger(),
      stopTimeoutMs: 20,
    });
    await rt.start();
    await rt.stop();
    expect(events).toEqual(['start:a', 'start:hang', 'start:c', 'stop:c', 'stop:a']);
  });

  it('refuses duplicate module names', () => {
    const { make } = recorder();
    expect(() => new ModuleRuntime([make('a'), make('a')], { logger: silentLogger() })).toThrow(/used twice/);
  });

  it('stop() twice at once stops each module once', async () => {
    const { events, make } = recorder();
    const rt = new ModuleRuntime([make('a'), make('b')], { logger: silentLogger() });
    await rt.start();
    await Promise.all([rt.stop(), rt.stop()]);
    expect(events.filter((e) => e.startsWith('stop:'))).toEqual(['stop:b', 'stop:a']);
  });
});

import { describe, expect, it } from 'vitest';
import type { DeviceInstance } from '../../src/model/index.js';
import { hash64, instanceHash } from './instance-hash.js';
import { planReconcile } from './reconcile.js';

function device(name: string, offset = 0): DeviceInstance {
  return {
    id: `default/${name}`,
    namespace: 'default',
    name,
    model: 'm',
    protocol: 'modbus',
    protocolConfig: { ip: '127.0.0.1', port: 502 },
    properties: [
      {
        name: 't',
        type: 'INT',
        accessMode: 'ReadOnly',
        visitor: { register: 'HoldingRegister', offset },
        collectCycleMs: 1000,
        reportCycleMs: 1000,
        reportToCloud: false,
      },
    ],
  };
}

describe('instanceHash', () => {
  it('ignores key order and undefined members', () => {
    expect(instanceHash({ a: 1, b: 2 })).toBe(instanceHash({ b: 2, a: 1 }));
    expect(instanceHash({ a: 1 })).not.toBe(instanceHash({ a: 2 }));
  });

  it('gives 16 hex digits and no collision among 100,000 near-identical device texts', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) {
      seen.add(hash64(`{"name":"meter-${i}","offset":${i % 7},"x":"${'y'.repeat(i % 50)}"}`));
    }
    expect(seen.size).toBe(100_000);
    for (const h of [...seen].slice(0, 100)) expect(h).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('planReconcile', () => {
  it('adds everything to an empty mapper', () => {
    const plan = planReconcile(new Map(), [device('a'), device('b')]);
    expect(plan.add.map((d) => d.name)).toEqual(['a', 'b']);
    expect(plan.remove).toEqual([]);
    expect(plan.change).toEqual([]);
  });

  it('leaves unchanged devices alone, restarts changed ones, removes gone ones', () => {
    const applied = planReconcile(new Map(), [device('a'), device('b'), device('c')]).hashes;
    const plan = planReconcile(applied, [device('a'), device('b', 7), device('d')]);
    expect(plan.add.map((d) => d.name)).toEqual(['d']);
    expect(plan.change.map((d) => d.name)).toEqual(['b']);
    expect(plan.remove).toEqual(['default/c']);
    expect([...plan.hashes.keys()].sort()).toEqual(['default/a', 'default/b', 'default/d']);
  });

  it('keeps the last entry when an id appears twice', () => {
    const plan = planReconcile(new Map(), [device('a'), device('a', 3)]);
    expect(plan.add).toHaveLength(1);
    expect(plan.add[0]!.properties[0]!.visitor).toEqual({ register: 'HoldingRegister', offset: 3 });
  });

  it('does not restart a device whose desired values or cleansing rules changed (the write would be cancelled)', () => {
    const applied = planReconcile(new Map(), [device('a')]).hashes;
    const changed = device('a');
    changed.properties[0] = { ...changed.properties[0]!, desired: '42', cleansing: { deadband: { absolute: 1 } } };
    const plan = planReconcile(applied, [changed]);
    expect(plan.change).toEqual([]);
    expect(plan.add).toEqual([]);
    const rewired = device('a');
    rewired.properties[0] = { ...rewired.properties[0]!, accessMode: 'ReadWrite' };
    expect(planReconcile(applied, [rewired]).change.map((d) => d.name)).toEqual(['a']);
  });
});

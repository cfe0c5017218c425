import { describe, expect, it } from 'vitest';
import { GroupCommit } from './index.js';

describe('GroupCommit', () => {
  it('stores what one turn asks in one write and resolves each add once stored', async () => {
    const writes: string[][] = [];
    const commit = new GroupCommit<string>({ write: async (items) => void writes.push(items) });
    await Promise.all([commit.add('a'), commit.add('b'), commit.add('c')]);
    expect(writes).toEqual([['a', 'b', 'c']]);
    await commit.add('d');
    expect(writes).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('writes one at a time: what is asked during a write goes in the next one, together', async () => {
    const writes: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let active = 0;
    let most = 0;
    const commit = new GroupCommit<number>({
      write: async (items) => {
        most = Math.max(most, ++active);
        writes.push(items);
        if (items[0] === 1) await gate;
        active--;
      },
    });
    const first = commit.add(1);
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual([[1]]);
    const later: Array<Promise<void>> = [];
    for (let turn = 0; turn < 3; turn++) {
      later.push(commit.add(10 + turn));
      await new Promise((r) => setImmediate(r));
    }
    expect(writes).toEqual([[1]]); // held behind the first write
    release();
    await Promise.all([first, ...later]);
    expect(writes).toEqual([[1], [10, 11, 12]]);
    expect(most).toBe(1);
  });

  it('splits a batch by weight, never an item, in order; a failed write fails only its items', async () => {
    const writes: string[][] = [];
    const commit = new GroupCommit<string>({
      write: async (items) => {
        writes.push(items);
        if (items.includes('bad')) throw new Error('store refused');
      },
      maxPerWrite: 4,
      weight: (s) => s.length,
    });
    const results = await Promise.allSettled(['ab', 'cd', 'bad', 'e', 'fghij', 'k'].map((s) => commit.add(s)));
    expect(writes).toEqual([['ab', 'cd'], ['bad', 'e'], ['fghij'], ['k']]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ message: 'store refused' });
  });

  it('flush writes at once and resolves after every write so far, even a failed one', async () => {
    const writes: string[][] = [];
    const commit = new GroupCommit<string>({
      write: async (items) => {
        writes.push(items);
        throw new Error('down');
      },
    });
    const added = commit.add('x');
    await commit.flush();
    expect(writes).toEqual([['x']]);
    await expect(added).rejects.toThrow('down');
    await commit.flush(); // nothing pending: resolves
  });

  it('with overlap, the write of a later turn goes out while the one before is under way', async () => {
    const writes: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const commit = new GroupCommit<number>({
      write: async (items) => {
        writes.push(items);
        if (items[0] === 1) await gate;
      },
      overlap: true,
    });
    const first = commit.add(1);
    await new Promise((r) => setImmediate(r));
    const second = commit.add(2);
    await second; // not held behind the first write
    expect(writes).toEqual([[1], [2]]);
    let flushed = false;
    const flushing = commit.flush().then(() => (flushed = true));
    await new Promise((r) => setImmediate(r));
    expect(flushed).toBe(false); // flush waits for every write under way
    release();
    await Promise.all([first, flushing]);
  });
});
